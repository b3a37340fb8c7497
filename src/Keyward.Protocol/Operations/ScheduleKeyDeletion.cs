using Keyward.Protocol.Validation;

namespace Keyward.Protocol.Operations;

public sealed class ScheduleKeyDeletionRequest : IValidatable
{
    public string? KeyId { get; set; }
    public int? PendingWindowInDays { get; set; }

    public void Validate(ValidationErrors e)
    {
        Members.KeyId(e, KeyId);
        // The model's bound is 1..365; the 7..30 rule is checked by the service with AWS's own text.
        e.Range(PendingWindowInDays, "pendingWindowInDays", 1, 365);
    }
}

public sealed class ScheduleKeyDeletionResponse
{
    public string? KeyId { get; set; }
    public DateTimeOffset? DeletionDate { get; set; }
    public string? KeyState { get; set; }
    public int? PendingWindowInDays { get; set; }
}
