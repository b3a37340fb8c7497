namespace Keyward.Server.Hosting;

/// <summary>The server's options are inconsistent or name unusable files; nothing was started.</summary>
public sealed class ServerConfigurationException(string message) : Exception(message);
