using System.Text;
using Keyward.Pkcs11.Interop;

namespace Keyward.Pkcs11;

/// <summary>
/// One PKCS#11 session: typed wrappers over the calls Keyward makes. Not thread-safe (PKCS#11
/// sessions are not); the session pool gives each to one caller at a time, inside
/// <see cref="Pkcs11Module.EnterCall"/>. Failures are <see cref="Pkcs11Exception"/>s.
/// </summary>
public sealed unsafe class Pkcs11Session(Pkcs11Module module, nuint handle, int generation)
{
    public const int GcmIvSize = 12;
    public const int GcmTagSize = 16;

    private CK_FUNCTION_LIST* F => module.Functions;
    public nuint Handle => handle;
    public int Generation => generation;

    public static Pkcs11Session Open(Pkcs11Module module, nuint slot)
    {
        nuint handle;
        Pkcs11Module.Check("C_OpenSession", module.Functions->C_OpenSession(slot, CKF.SERIAL_SESSION | CKF.RW_SESSION, null, null, &handle));
        return new Pkcs11Session(module, handle, module.Generation);
    }

    /// <summary>Logs the token in as the crypto user; already logged in (by another session of this process) is fine.</summary>
    public void Login(ReadOnlySpan<byte> pin)
    {
        fixed (byte* p = pin)
        {
            var rv = F->C_Login(handle, CKF.CKU_USER, p, (nuint)pin.Length);
            if (rv != CKR.USER_ALREADY_LOGGED_IN) Pkcs11Module.Check("C_Login", rv);
        }
    }

    public void Close() => F->C_CloseSession(handle);

    /// <summary>Handles of the objects matching <paramref name="template"/> (at most <paramref name="max"/>).</summary>
    public nuint[] Find(Template template, int max = 16)
    {
        fixed (CK_ATTRIBUTE* t = template.Attributes)
            Pkcs11Module.Check("C_FindObjectsInit", F->C_FindObjectsInit(handle, t, (nuint)template.Count));
        var found = new nuint[max];
        nuint count;
        try
        {
            fixed (nuint* p = found) Pkcs11Module.Check("C_FindObjects", F->C_FindObjects(handle, p, (nuint)max, &count));
        }
        finally { F->C_FindObjectsFinal(handle); }
        return found.AsSpan(0, (int)count).ToArray();
    }

    public nuint GenerateKey(nuint mechanism, Template template)
    {
        var m = new CK_MECHANISM { mechanism = mechanism };
        nuint key;
        fixed (CK_ATTRIBUTE* t = template.Attributes)
            Pkcs11Module.Check("C_GenerateKey", F->C_GenerateKey(handle, &m, t, (nuint)template.Count, &key));
        return key;
    }

    public (nuint Public, nuint Private) GenerateKeyPair(nuint mechanism, Template publicTemplate, Template privateTemplate)
    {
        var m = new CK_MECHANISM { mechanism = mechanism };
        nuint pub, priv;
        fixed (CK_ATTRIBUTE* pt = publicTemplate.Attributes)
        fixed (CK_ATTRIBUTE* st = privateTemplate.Attributes)
            Pkcs11Module.Check("C_GenerateKeyPair", F->C_GenerateKeyPair(handle, &m, pt, (nuint)publicTemplate.Count, st, (nuint)privateTemplate.Count, &pub, &priv));
        return (pub, priv);
    }

    public nuint CreateObject(Template template)
    {
        nuint obj;
        fixed (CK_ATTRIBUTE* t = template.Attributes)
            Pkcs11Module.Check("C_CreateObject", F->C_CreateObject(handle, t, (nuint)template.Count, &obj));
        return obj;
    }

    public void DestroyObject(nuint obj) => Pkcs11Module.Check("C_DestroyObject", F->C_DestroyObject(handle, obj));

    /// <summary>A CK_BBOOL attribute; null if the object does not have it or hides it.</summary>
    public bool? GetBool(nuint obj, nuint type)
    {
        byte value = 0;
        var a = new CK_ATTRIBUTE { type = type, pValue = &value, ulValueLen = 1 };
        return AttributeAnswer(F->C_GetAttributeValue(handle, obj, &a, 1)) == CKR.OK ? value != 0 : null;
    }

    /// <summary>
    /// Only answers about the attribute itself (absent, sensitive) come back as a return value; a device, session or
    /// object failure throws like every other call, so the pool and the cluster see it (a device that drops off while
    /// an attribute is read must fail over, not read as "attribute absent": a key would look disabled).
    /// </summary>
    private static nuint AttributeAnswer(nuint rv) =>
        rv == CKR.OK || rv == CKR.ATTRIBUTE_TYPE_INVALID || rv == CKR.ATTRIBUTE_SENSITIVE
            ? rv : throw new Pkcs11Exception("C_GetAttributeValue", rv);

    /// <summary>A byte-array attribute; null if it is sensitive or absent.</summary>
    public byte[]? GetBytes(nuint obj, nuint type) => TryGetBytes(obj, type, out var value) == CKR.OK ? value : null;

    /// <summary>
    /// A byte-array attribute and the return value of reading it (CKR_OK with an empty array when the attribute is
    /// empty; CKR_ATTRIBUTE_TYPE_INVALID or CKR_ATTRIBUTE_SENSITIVE); any other failure throws.
    /// </summary>
    public nuint TryGetBytes(nuint obj, nuint type, out byte[]? value)
    {
        value = null;
        var a = new CK_ATTRIBUTE { type = type };
        var rv = AttributeAnswer(F->C_GetAttributeValue(handle, obj, &a, 1));
        if (rv != CKR.OK) return rv;
        if (a.ulValueLen == nuint.MaxValue) return CKR.ATTRIBUTE_SENSITIVE;
        var bytes = new byte[(int)a.ulValueLen];
        fixed (byte* p = bytes)
        {
            a.pValue = p;
            rv = AttributeAnswer(F->C_GetAttributeValue(handle, obj, &a, 1));
            if (rv != CKR.OK) return rv;
        }
        value = bytes;
        return CKR.OK;
    }

    /// <summary>Sets a CK_BBOOL attribute (e.g. CKA_EXTRACTABLE to false, which PKCS#11 allows one way only).</summary>
    public void SetBool(nuint obj, nuint type, bool value)
    {
        byte v = value ? (byte)1 : (byte)0;
        var a = new CK_ATTRIBUTE { type = type, pValue = &v, ulValueLen = 1 };
        Pkcs11Module.Check("C_SetAttributeValue", F->C_SetAttributeValue(handle, obj, &a, 1));
    }

    /// <summary>Sets a byte-array attribute (e.g. CKA_END_DATE, which disables an external key of the XKS proxy).</summary>
    public void SetBytes(nuint obj, nuint type, ReadOnlySpan<byte> value)
    {
        fixed (byte* p = value)
        {
            var a = new CK_ATTRIBUTE { type = type, pValue = p, ulValueLen = (nuint)value.Length };
            Pkcs11Module.Check("C_SetAttributeValue", F->C_SetAttributeValue(handle, obj, &a, 1));
        }
    }

    /// <summary>AES-GCM with a 96-bit IV and a 128-bit tag: returns ciphertext ‖ tag.</summary>
    public byte[] EncryptGcm(nuint key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> plaintext)
    {
        var output = new byte[plaintext.Length + GcmTagSize];
        fixed (byte* ivp = iv)
        fixed (byte* aadp = aad)
        fixed (byte* inp = plaintext)
        fixed (byte* outp = output)
        {
            var gcm = Gcm(ivp, iv.Length, aadp, aad.Length);
            var m = new CK_MECHANISM { mechanism = CKM.AES_GCM, pParameter = &gcm, ulParameterLen = (nuint)sizeof(CK_GCM_PARAMS) };
            Pkcs11Module.Check("C_EncryptInit", F->C_EncryptInit(handle, &m, key));
            nuint length = (nuint)output.Length;
            Pkcs11Module.Check("C_Encrypt", F->C_Encrypt(handle, inp, (nuint)plaintext.Length, outp, &length));
            if ((int)length != output.Length) throw new Pkcs11Exception("C_Encrypt", CKR.FUNCTION_FAILED);
        }
        return output;
    }

    /// <summary>AES-GCM decryption of ciphertext ‖ tag; an authentication failure is a Data-kind exception.</summary>
    public byte[] DecryptGcm(nuint key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> aad, ReadOnlySpan<byte> ciphertext)
    {
        // Some modules want room for the whole input before they strip the tag.
        var output = GC.AllocateArray<byte>(ciphertext.Length, pinned: true);
        nuint length = (nuint)output.Length;
        fixed (byte* ivp = iv)
        fixed (byte* aadp = aad)
        fixed (byte* inp = ciphertext)
        fixed (byte* outp = output)
        {
            var gcm = Gcm(ivp, iv.Length, aadp, aad.Length);
            var m = new CK_MECHANISM { mechanism = CKM.AES_GCM, pParameter = &gcm, ulParameterLen = (nuint)sizeof(CK_GCM_PARAMS) };
            Pkcs11Module.Check("C_DecryptInit", F->C_DecryptInit(handle, &m, key));
            var rv = F->C_Decrypt(handle, inp, (nuint)ciphertext.Length, outp, &length);
            if (rv != CKR.OK)
            {
                System.Security.Cryptography.CryptographicOperations.ZeroMemory(output);
                throw new Pkcs11Exception("C_Decrypt", rv);
            }
        }
        var plaintext = output.AsSpan(0, (int)length).ToArray();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(output);
        return plaintext;
    }

    private static CK_GCM_PARAMS Gcm(byte* iv, int ivLength, byte* aad, int aadLength) => new()
    {
        pIv = iv, ulIvLen = (nuint)ivLength, ulIvBits = (nuint)(ivLength * 8),
        pAAD = aad, ulAADLen = (nuint)aadLength, ulTagBits = GcmTagSize * 8,
    };

    /// <summary>RFC 3394 AES key wrap of <paramref name="key"/> under <paramref name="wrappingKey"/>.</summary>
    public byte[] WrapAes(nuint wrappingKey, nuint key)
    {
        var m = new CK_MECHANISM { mechanism = CKM.AES_KEY_WRAP };
        return Wrap(&m, wrappingKey, key);
    }

    public nuint UnwrapAes(nuint unwrappingKey, ReadOnlySpan<byte> wrapped, Template template)
    {
        var m = new CK_MECHANISM { mechanism = CKM.AES_KEY_WRAP };
        return Unwrap(&m, unwrappingKey, wrapped, template);
    }

    /// <summary>RSAES-OAEP key wrap (MGF1 with the same hash; SHA-1 where a module offers nothing else).</summary>
    public byte[] WrapOaep(nuint wrappingKey, nuint key, nuint hash, nuint mgf)
    {
        var p = OaepParameters(hash, mgf);
        var m = Oaep(&p);
        return Wrap(&m, wrappingKey, key);
    }

    public nuint UnwrapOaep(nuint unwrappingKey, ReadOnlySpan<byte> wrapped, Template template, nuint hash, nuint mgf)
    {
        var p = OaepParameters(hash, mgf);
        var m = Oaep(&p);
        return Unwrap(&m, unwrappingKey, wrapped, template);
    }

    private static CK_RSA_PKCS_OAEP_PARAMS OaepParameters(nuint hash, nuint mgf) =>
        new() { hashAlg = hash, mgf = mgf, source = CKM.CKZ_DATA_SPECIFIED };

    private static CK_MECHANISM Oaep(CK_RSA_PKCS_OAEP_PARAMS* p) =>
        new() { mechanism = CKM.RSA_PKCS_OAEP, pParameter = p, ulParameterLen = (nuint)sizeof(CK_RSA_PKCS_OAEP_PARAMS) };

    private byte[] Wrap(CK_MECHANISM* m, nuint wrappingKey, nuint key)
    {
        nuint length = 0;
        Pkcs11Module.Check("C_WrapKey", F->C_WrapKey(handle, m, wrappingKey, key, null, &length));
        var output = new byte[(int)length];
        fixed (byte* p = output) Pkcs11Module.Check("C_WrapKey", F->C_WrapKey(handle, m, wrappingKey, key, p, &length));
        return output.AsSpan(0, (int)length).ToArray();
    }

    private nuint Unwrap(CK_MECHANISM* m, nuint unwrappingKey, ReadOnlySpan<byte> wrapped, Template template)
    {
        nuint key;
        fixed (byte* w = wrapped)
        fixed (CK_ATTRIBUTE* t = template.Attributes)
            Pkcs11Module.Check("C_UnwrapKey", F->C_UnwrapKey(handle, m, unwrappingKey, w, (nuint)wrapped.Length, t, (nuint)template.Count, &key));
        return key;
    }

    public void GenerateRandom(Span<byte> destination)
    {
        fixed (byte* p = destination)
            Pkcs11Module.Check("C_GenerateRandom", F->C_GenerateRandom(handle, p, (nuint)destination.Length));
    }

    public static byte[] Label(string label) => Encoding.UTF8.GetBytes(label);
}
