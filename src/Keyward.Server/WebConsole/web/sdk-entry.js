// The parts of the AWS SDK for JavaScript v3 the console uses. `npm run build` bundles them (and only them) into
// ../wwwroot/vendor/aws-sdk.js, which is committed so that the .NET build alone serves the console.
export {
  KMSClient,
  ListKeysCommand, DescribeKeyCommand, CreateKeyCommand, ListAliasesCommand, CreateAliasCommand, DeleteAliasCommand,
  ListResourceTagsCommand, TagResourceCommand, UntagResourceCommand,
  GetKeyPolicyCommand, PutKeyPolicyCommand,
  GetKeyRotationStatusCommand, ListKeyRotationsCommand, EnableKeyRotationCommand, DisableKeyRotationCommand,
  ListGrantsCommand, RevokeGrantCommand,
  EnableKeyCommand, DisableKeyCommand, ScheduleKeyDeletionCommand, CancelKeyDeletionCommand,
  DescribeCustomKeyStoresCommand, ConnectCustomKeyStoreCommand, DisconnectCustomKeyStoreCommand,
  EncryptCommand, DecryptCommand, SignCommand, VerifyCommand,
} from "@aws-sdk/client-kms";
export { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
