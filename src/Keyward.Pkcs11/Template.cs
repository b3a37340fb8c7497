using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// A CK_ATTRIBUTE template. Values live in arrays on the pinned object heap, so the pointers in
/// <see cref="Attributes"/> stay valid for as long as the template is reachable.
/// </summary>
internal sealed unsafe class Template
{
    private readonly List<CK_ATTRIBUTE> _attributes = [];
    private readonly List<byte[]> _values = [];

    public CK_ATTRIBUTE[] Attributes => _attributes.ToArray();
    public int Count => _attributes.Count;

    public Template Bool(nuint type, bool value) => Bytes(type, [value ? (byte)1 : (byte)0]);

    public Template ULong(nuint type, nuint value)
    {
        var bytes = new byte[sizeof(nuint)];
        fixed (byte* p = bytes) *(nuint*)p = value;
        return Bytes(type, bytes);
    }

    public Template Text(nuint type, string value) => Bytes(type, System.Text.Encoding.UTF8.GetBytes(value));

    public Template Bytes(nuint type, ReadOnlySpan<byte> value)
    {
        var pinned = GC.AllocateArray<byte>(Math.Max(1, value.Length), pinned: true);
        value.CopyTo(pinned);
        _values.Add(pinned);
        fixed (byte* p = pinned)
            _attributes.Add(new CK_ATTRIBUTE { type = type, pValue = p, ulValueLen = (nuint)value.Length });
        return this;
    }
}
