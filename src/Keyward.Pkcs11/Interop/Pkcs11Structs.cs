using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Keyward.Pkcs11.Interop;

// Structures of pkcs11t.h with natural alignment (the Unix convention; Windows packs them to 1).

[StructLayout(LayoutKind.Sequential)]
internal struct CK_VERSION
{
    public byte major;
    public byte minor;
}

[StructLayout(LayoutKind.Sequential)]
public unsafe struct CK_ATTRIBUTE
{
    public nuint type;
    public void* pValue;
    public nuint ulValueLen;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_MECHANISM
{
    public nuint mechanism;
    public void* pParameter;
    public nuint ulParameterLen;
}

/// <summary>CK_GCM_PARAMS as v2.40 errata and every current module define it (with ulIvBits).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_GCM_PARAMS
{
    public byte* pIv;
    public nuint ulIvLen;
    public nuint ulIvBits;
    public byte* pAAD;
    public nuint ulAADLen;
    public nuint ulTagBits;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_RSA_PKCS_OAEP_PARAMS
{
    public nuint hashAlg;
    public nuint mgf;
    public nuint source;
    public void* pSourceData;
    public nuint ulSourceDataLen;
}

[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CK_C_INITIALIZE_ARGS
{
    public void* CreateMutex;
    public void* DestroyMutex;
    public void* LockMutex;
    public void* UnlockMutex;
    public nuint flags;
    public void* pReserved;
}

[InlineArray(32)]
internal struct Bytes32 { private byte _0; }

[InlineArray(16)]
internal struct Bytes16 { private byte _0; }

[StructLayout(LayoutKind.Sequential)]
internal struct CK_TOKEN_INFO
{
    public Bytes32 label;
    public Bytes32 manufacturerID;
    public Bytes16 model;
    public Bytes16 serialNumber;
    public nuint flags;
    public nuint ulMaxSessionCount, ulSessionCount, ulMaxRwSessionCount, ulRwSessionCount, ulMaxPinLen, ulMinPinLen,
        ulTotalPublicMemory, ulFreePublicMemory, ulTotalPrivateMemory, ulFreePrivateMemory;
    public CK_VERSION hardwareVersion;
    public CK_VERSION firmwareVersion;
    public Bytes16 utcTime;
}
