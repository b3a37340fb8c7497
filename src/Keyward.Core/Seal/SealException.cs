namespace Keyward.Core.Seal;

/// <summary>The seal cannot be opened or does not match the database. Start-up stops; nothing is written.</summary>
public sealed class SealException(string message) : Exception(message);
