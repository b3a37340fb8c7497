using System.Runtime.InteropServices;

namespace Keyward.Pkcs11.Interop;

/// <summary>
/// CK_FUNCTION_LIST of pkcs11f.h, in its fixed order. Every module is reached through the table
/// its own C_GetFunctionList returns (never through exported symbols), so several modules, or
/// several instances of one (p11-kit's client), live side by side in one process.
/// Entries Keyward does not call are untyped.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_FUNCTION_LIST
{
    public CK_VERSION version;
    public delegate* unmanaged<CK_C_INITIALIZE_ARGS*, nuint> C_Initialize;
    public delegate* unmanaged<void*, nuint> C_Finalize;
    public void* C_GetInfo;
    public void* C_GetFunctionList;
    public delegate* unmanaged<byte, nuint*, nuint*, nuint> C_GetSlotList;
    public void* C_GetSlotInfo;
    public delegate* unmanaged<nuint, CK_TOKEN_INFO*, nuint> C_GetTokenInfo;
    public void* C_GetMechanismList;
    public void* C_GetMechanismInfo;
    public void* C_InitToken;
    public void* C_InitPIN;
    public void* C_SetPIN;
    public delegate* unmanaged<nuint, nuint, void*, void*, nuint*, nuint> C_OpenSession;
    public delegate* unmanaged<nuint, nuint> C_CloseSession;
    public delegate* unmanaged<nuint, nuint> C_CloseAllSessions;
    public void* C_GetSessionInfo;
    public void* C_GetOperationState;
    public void* C_SetOperationState;
    public delegate* unmanaged<nuint, nuint, byte*, nuint, nuint> C_Login;
    public delegate* unmanaged<nuint, nuint> C_Logout;
    public delegate* unmanaged<nuint, CK_ATTRIBUTE*, nuint, nuint*, nuint> C_CreateObject;
    public void* C_CopyObject;
    public delegate* unmanaged<nuint, nuint, nuint> C_DestroyObject;
    public void* C_GetObjectSize;
    public delegate* unmanaged<nuint, nuint, CK_ATTRIBUTE*, nuint, nuint> C_GetAttributeValue;
    public delegate* unmanaged<nuint, nuint, CK_ATTRIBUTE*, nuint, nuint> C_SetAttributeValue;
    public delegate* unmanaged<nuint, CK_ATTRIBUTE*, nuint, nuint> C_FindObjectsInit;
    public delegate* unmanaged<nuint, nuint*, nuint, nuint*, nuint> C_FindObjects;
    public delegate* unmanaged<nuint, nuint> C_FindObjectsFinal;
    public delegate* unmanaged<nuint, CK_MECHANISM*, nuint, nuint> C_EncryptInit;
    public delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint> C_Encrypt;
    public void* C_EncryptUpdate;
    public void* C_EncryptFinal;
    public delegate* unmanaged<nuint, CK_MECHANISM*, nuint, nuint> C_DecryptInit;
    public delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint> C_Decrypt;
    public void* C_DecryptUpdate;
    public void* C_DecryptFinal;
    public void* C_DigestInit;
    public void* C_Digest;
    public void* C_DigestUpdate;
    public void* C_DigestKey;
    public void* C_DigestFinal;
    public void* C_SignInit;
    public void* C_Sign;
    public void* C_SignUpdate;
    public void* C_SignFinal;
    public void* C_SignRecoverInit;
    public void* C_SignRecover;
    public void* C_VerifyInit;
    public void* C_Verify;
    public void* C_VerifyUpdate;
    public void* C_VerifyFinal;
    public void* C_VerifyRecoverInit;
    public void* C_VerifyRecover;
    public void* C_DigestEncryptUpdate;
    public void* C_DecryptDigestUpdate;
    public void* C_SignEncryptUpdate;
    public void* C_DecryptVerifyUpdate;
    public delegate* unmanaged<nuint, CK_MECHANISM*, CK_ATTRIBUTE*, nuint, nuint*, nuint> C_GenerateKey;
    public delegate* unmanaged<nuint, CK_MECHANISM*, CK_ATTRIBUTE*, nuint, CK_ATTRIBUTE*, nuint, nuint*, nuint*, nuint> C_GenerateKeyPair;
    public delegate* unmanaged<nuint, CK_MECHANISM*, nuint, nuint, byte*, nuint*, nuint> C_WrapKey;
    public delegate* unmanaged<nuint, CK_MECHANISM*, nuint, byte*, nuint, CK_ATTRIBUTE*, nuint, nuint*, nuint> C_UnwrapKey;
    public void* C_DeriveKey;
    public void* C_SeedRandom;
    public delegate* unmanaged<nuint, byte*, nuint, nuint> C_GenerateRandom;
    public void* C_GetFunctionStatus;
    public void* C_CancelFunction;
    public void* C_WaitForSlotEvent;
}
