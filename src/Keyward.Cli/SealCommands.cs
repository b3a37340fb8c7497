using System.CommandLine;
using Keyward.Server.Hosting;

namespace Keyward.Cli;

/// <summary><c>keyward seal migrate</c> and <c>keyward seal rotate</c>, on a stopped deployment.</summary>
internal static class SealCommands
{
    public static Command Create()
    {
        var migrate = new Command("migrate", "move a stopped server from the file seal to the PKCS#11 seal in --config");
        var migrateStore = new StoreOptions(migrate, config: true);
        CommandFailure.Action(migrate, result => result.GetValue(migrateStore.Config!) is null
            ? throw new UsageException("seal migrate needs --config naming the PKCS#11 seal")
            : SealMigrationCommand.RunAsync(migrateStore.Read(result), Console.Out));

        var rotate = new Command("rotate",
            "replace the root key of a stopped server (the file seal's, or with --config the PKCS#11 seal's), " +
            "re-sealing every value in one transaction");
        var rotateStore = new StoreOptions(rotate, config: true);
        CommandFailure.Action(rotate, result => SealRotationCommand.RunAsync(rotateStore.Read(result), Console.Out));

        return new Command("seal", "the root key that seals every stored secret") { migrate, rotate };
    }
}
