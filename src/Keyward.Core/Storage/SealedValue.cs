namespace Keyward.Core.Storage;

/// <summary>What a sealed value is; with its row's ids it gives the barrier purpose and identity.</summary>
public enum SealedKind
{
    /// <summary>key_materials.wrapped of a software-store key or an external key store key's KMS-side material (Id1 key id, Id2 material id).</summary>
    KeyMaterial,
    /// <summary>import_parameters.wrapped_private_key (Id1 key id, Id2 token id).</summary>
    ImportWrappingKey,
    /// <summary>custom_key_stores.key_store_password (Id1 store id).</summary>
    CustomKeyStorePassword,
    /// <summary>custom_key_stores.xks_secret: an external key store's proxy secret (Id1 store id).</summary>
    XksProxySecret,
    /// <summary>settings.value of the seal check (Id1 setting name).</summary>
    SealCheck,
}

public sealed record SealedValue(SealedKind Kind, string Id1, string Id2, byte[] Value);
