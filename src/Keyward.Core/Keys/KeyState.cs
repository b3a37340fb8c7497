namespace Keyward.Core.Keys;

/// <summary>AWS KeyState values. The member names are the wire names.</summary>
public enum KeyState
{
    Creating,
    Enabled,
    Disabled,
    PendingDeletion,
    PendingImport,
    PendingReplicaDeletion,
    Unavailable,
    Updating,
}
