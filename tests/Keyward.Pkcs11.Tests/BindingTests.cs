using System.Security.Cryptography;
using Keyward.Pkcs11.Interop;
using Keyward.Tests.Shared;

namespace Keyward.Pkcs11.Tests;

/// <summary>The PKCS#11 binding against SoftHSM2 in this process.</summary>
public sealed class BindingTests
{
    private static Hsm OpenHsm(string token, int maxSessions = 4)
    {
        var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), token, System.Text.Encoding.UTF8.GetBytes(SoftHsm.Pin), maxSessions, TimeSpan.FromSeconds(2));
        hsm.Open();
        return hsm;
    }

    internal static nuint SessionAesKey(Pkcs11Session s, bool extractable = false) => s.GenerateKey(CKM.AES_KEY_GEN, new Template()
        .ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES).ULong(CKA.VALUE_LEN, 32)
        .Bool(CKA.TOKEN, false).Bool(CKA.SENSITIVE, true).Bool(CKA.EXTRACTABLE, extractable).Bool(CKA.ENCRYPT, true).Bool(CKA.DECRYPT, true));

    [Fact]
    public void Loading_a_module_twice_gives_the_same_instance()
    {
        _ = SoftHsm.Directory;
        Assert.Same(Pkcs11Module.Load(SoftHsm.Module), Pkcs11Module.Load(SoftHsm.Module));
    }

    [Fact]
    public void Finds_a_token_by_label_and_not_a_missing_one()
    {
        var token = SoftHsm.NewToken();
        var module = Pkcs11Module.Load(SoftHsm.Module);
        Assert.NotNull(module.FindSlot(token));
        Assert.Null(module.FindSlot("no-such-token"));
    }

    [Fact]
    public void Aes_gcm_round_trips_in_the_hsm_and_matches_the_bcl()
    {
        using var hsm = OpenHsm(SoftHsm.NewToken());
        var iv = RandomNumberGenerator.GetBytes(12);
        var aad = "header and context"u8.ToArray();
        var plaintext = RandomNumberGenerator.GetBytes(1000);
        var key = hsm.Run(s => SessionAesKey(s));
        var sealedData = hsm.Run(s => s.EncryptGcm(key, iv, aad, plaintext));
        Assert.Equal(plaintext.Length + 16, sealedData.Length);
        Assert.Equal(plaintext, hsm.Run(s => s.DecryptGcm(key, iv, aad, sealedData)));

        // Any change to ciphertext or AAD is a data error (SoftHSM says CKR_GENERAL_ERROR; the pool's
        // probe shows the device is fine), which keeps the HSM healthy.
        var flipped = (byte[])sealedData.Clone();
        flipped[^1] ^= 1;
        var e = Assert.Throws<Pkcs11Exception>(() => hsm.Run(s => s.DecryptGcm(key, iv, aad, flipped)));
        Assert.Equal(Pkcs11ErrorKind.Data, e.Kind);
        Assert.Equal(Core.KeyStores.KeyStoreFailure.InvalidCiphertext, e.ToKeyStoreException().Failure);
        Assert.Equal(Pkcs11ErrorKind.Data, Assert.Throws<Pkcs11Exception>(() => hsm.Run(s => s.DecryptGcm(key, iv, "other"u8, sealedData))).Kind);
        Assert.True(hsm.Healthy);
        // The same session pool still works after the failures.
        Assert.Equal(5, hsm.Run(s => { s.GenerateRandom(new byte[5]); return 5; }));
    }

    [Fact]
    public void Gcm_output_decrypts_with_the_bcl_when_the_key_is_known()
    {
        // A key created from known bytes (CKA_VALUE) checks the wire format against System.Security.Cryptography.
        using var hsm = OpenHsm(SoftHsm.NewToken());
        var value = RandomNumberGenerator.GetBytes(32);
        var iv = RandomNumberGenerator.GetBytes(12);
        var sealedData = hsm.Run(s =>
        {
            var key = s.CreateObject(new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES)
                .Bool(CKA.TOKEN, false).Bool(CKA.ENCRYPT, true).Bytes(CKA.VALUE, value));
            return s.EncryptGcm(key, iv, "aad"u8, "hello hsm"u8);
        });
        using var aes = new AesGcm(value, 16);
        var clear = new byte[sealedData.Length - 16];
        aes.Decrypt(iv, sealedData.AsSpan(0, clear.Length), sealedData.AsSpan(clear.Length), clear, "aad"u8);
        Assert.Equal("hello hsm"u8.ToArray(), clear);
    }

    [Fact]
    public void Key_attributes_read_back_and_a_non_extractable_key_cannot_be_wrapped()
    {
        using var hsm = OpenHsm(SoftHsm.NewToken());
        hsm.Run(s =>
        {
            var key = SessionAesKey(s);
            Assert.False(s.GetBool(key, CKA.EXTRACTABLE));
            Assert.True(s.GetBool(key, CKA.SENSITIVE));
            Assert.True(s.GetBool(key, CKA.NEVER_EXTRACTABLE));
            Assert.Null(s.GetBytes(key, CKA.VALUE)); // sensitive: the value is not readable
            var wrapping = s.GenerateKey(CKM.AES_KEY_GEN, new Template().ULong(CKA.CLASS, CKO.SECRET_KEY).ULong(CKA.KEY_TYPE, CKK.AES)
                .ULong(CKA.VALUE_LEN, 32).Bool(CKA.TOKEN, false).Bool(CKA.WRAP, true));
            var e = Assert.Throws<Pkcs11Exception>(() => s.WrapAes(wrapping, key));
            Assert.Equal(CKR.KEY_UNEXTRACTABLE, e.ReturnValue);
            return 0;
        });
    }

    [Fact]
    public void An_attribute_read_on_a_device_that_dropped_off_is_a_device_error_not_an_absent_attribute()
    {
        using var faulty = new FaultyHsm();
        var hsm = new Hsm(Pkcs11Module.Load(faulty.Module, faulty.Environment), faulty.Token,
            System.Text.Encoding.UTF8.GetBytes(SoftHsm.Pin), 2, TimeSpan.FromSeconds(2));
        hsm.Open();
        var (bools, bytes, tries) = hsm.Run(s =>
        {
            var key = SessionAesKey(s);
            Assert.Equal(CKR.ATTRIBUTE_TYPE_INVALID, s.TryGetBytes(key, CKA.MODULUS, out _)); // absent: an answer
            faulty.Kill();
            return (Assert.Throws<Pkcs11Exception>(() => s.GetBool(key, CKA.ENCRYPT)),
                Assert.Throws<Pkcs11Exception>(() => s.GetBytes(key, CKA.VALUE_LEN)),
                Assert.Throws<Pkcs11Exception>(() => s.TryGetBytes(key, CKA.START_DATE, out _)));
        });
        Assert.All(new[] { bools, bytes, tries }, e => Assert.Equal((CKR.DEVICE_ERROR, Pkcs11ErrorKind.Device), (e.ReturnValue, e.Kind)));
        faulty.Start();
        hsm.Dispose();
    }

    [Fact]
    public void Wrong_pin_is_a_login_error()
    {
        var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), SoftHsm.NewToken(), "wrong-pin"u8, 2, TimeSpan.FromSeconds(1));
        var e = Assert.Throws<Pkcs11Exception>(hsm.Open);
        Assert.Equal(Pkcs11ErrorKind.Login, e.Kind);
        Assert.False(hsm.Healthy);
        hsm.Dispose();
    }

    [Fact]
    public void A_missing_token_is_a_configuration_error()
    {
        var hsm = new Hsm(Pkcs11Module.Load(SoftHsm.Module), "not-a-token", "1234"u8, 2, TimeSpan.FromSeconds(1));
        Assert.Throws<Pkcs11ConfigurationException>(hsm.Open);
        hsm.Dispose();
    }

    [Fact]
    public void Return_values_map_to_one_table()
    {
        Assert.Equal("CKR_DEVICE_ERROR", Pkcs11Errors.Name(CKR.DEVICE_ERROR));
        Assert.Equal(Pkcs11ErrorKind.Device, Pkcs11Errors.Kind(CKR.DEVICE_REMOVED));
        Assert.Equal(Pkcs11ErrorKind.Session, Pkcs11Errors.Kind(CKR.SESSION_HANDLE_INVALID));
        Assert.Equal(Pkcs11ErrorKind.Data, Pkcs11Errors.Kind(CKR.ENCRYPTED_DATA_INVALID));
        Assert.Equal(Core.KeyStores.KeyStoreFailure.InvalidCiphertext, Pkcs11Errors.Failure(CKR.ENCRYPTED_DATA_INVALID));
        Assert.Equal(Core.KeyStores.KeyStoreFailure.Unavailable, Pkcs11Errors.Failure(CKR.DEVICE_ERROR));
        Assert.Equal("CKR 0x12345", Pkcs11Errors.Name(0x12345));
        Assert.Equal(Pkcs11ErrorKind.Unsupported, Pkcs11Errors.Kind(CKR.MECHANISM_INVALID));
    }
}
