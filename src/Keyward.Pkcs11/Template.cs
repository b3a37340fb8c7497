using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>What an AES key object may do: nothing (a key that exists only to be wrapped), encrypt/decrypt, or wrap/unwrap.</summary>
public enum AesKeyUse
{
    None,
    EncryptDecrypt,
    WrapUnwrap,
}

/// <summary>
/// A CK_ATTRIBUTE template. Values live in arrays on the pinned object heap, so the pointers in
/// <see cref="Attributes"/> stay valid for as long as the template is reachable.
/// </summary>
public sealed unsafe class Template
{
    private readonly List<CK_ATTRIBUTE> _attributes = [];
    private readonly List<byte[]> _values = [];

    public CK_ATTRIBUTE[] Attributes => _attributes.ToArray();

    /// <summary>
    /// An AES-256 secret key object, always private and sensitive, allowed exactly <paramref name="use"/>.
    /// A generated key names its length (<paramref name="generate"/>); an unwrapped one takes it from the wrapped bytes.
    /// </summary>
    public static Template AesKey(AesKeyUse use, bool token, bool extractable, bool generate)
    {
        var template = new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES);
        if (generate) template.ULong(CKA.VALUE_LEN, 32);
        return template.Bool(CKA.TOKEN, token).Bool(CKA.PRIVATE, true).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, extractable)
            .Bool(CKA.ENCRYPT, use == AesKeyUse.EncryptDecrypt).Bool(CKA.DECRYPT, use == AesKeyUse.EncryptDecrypt)
            .Bool(CKA.WRAP, use == AesKeyUse.WrapUnwrap).Bool(CKA.UNWRAP, use == AesKeyUse.WrapUnwrap);
    }
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
