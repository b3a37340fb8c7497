namespace Keyward.Protocol.SigV4;

/// <summary>Why a SigV4 check failed. Each host maps these to its own protocol's error names.</summary>
public enum SigV4Failure
{
    None,
    /// <summary>No Authorization header at all.</summary>
    MissingAuthentication,
    /// <summary>Authorization header present but lacking a part, or no date header.</summary>
    IncompleteSignature,
    /// <summary>Scope, date or signed-header rules broken (wrong region, service, date).</summary>
    InvalidScope,
    /// <summary>The access key id is not known.</summary>
    UnknownAccessKey,
    /// <summary>The signature does not match.</summary>
    SignatureMismatch,
    /// <summary>The request time is outside the allowed clock skew.</summary>
    Expired,
}
