/*
 * A PKCS#11 module that forwards every call to a real module (SoftHSM2 in the tests) and fails
 * on demand: while the file named by KEYWARD_FAULT_FILE exists, every call answers
 * CKR_DEVICE_ERROR, as a network HSM does when it drops off; while that name with ".slow" appended
 * exists, every call first waits the number of milliseconds written in it (an overloaded HSM, which may drop off
 * during the wait); when that name with
 * ".once" appended exists, the next call answers CKR_DEVICE_ERROR and removes it (a blip: the device is fine after). It performs no cryptography and
 * keeps no state of the HSM's; it only stands between Keyward and the real module, so tests can
 * take one HSM of a cluster down and bring it back. (p11-kit's RPC would put the HSM in another
 * process, but its 0.24 protocol does not carry CKM_AES_GCM or AES key-wrap parameters.)
 *
 * Each copy of this library (one per path) is one HSM: it reads KEYWARD_FAULT_BACKEND and
 * KEYWARD_FAULT_FILE when C_GetFunctionList is first called. C_Finalize does not finalize the
 * shared real module; it closes this HSM's sessions there, which is what a re-initialization
 * means for the caller.
 *
 * Every PKCS#11 function returns CK_ULONG and takes at most eight word-sized arguments, so one
 * eight-argument forwarder serves all of them (System V x86-64 and AArch64 calling conventions).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

typedef unsigned long U;
typedef U (*Fn)(U, U, U, U, U, U, U, U);
typedef struct { unsigned char version[2]; void *fn[68]; } FunctionList;

enum { I_Initialize = 0, I_OpenSession = 12, I_CloseAllSessions = 14, I_Encrypt = 30 };
#define CKR_OK 0UL
#define CKR_DEVICE_ERROR 0x30UL
#define CKR_CRYPTOKI_ALREADY_INITIALIZED 0x191UL

static FunctionList *backend;
static FunctionList own;
static char fault_file[4096];
static char slow_file[4100];
static char once_file[4100];
static U slots[64];
static int slot_count;

static int down(void) { struct stat st; return fault_file[0] && stat(fault_file, &st) == 0; }

/* A blip: the first call to take (unlink) the ".once" file answers CKR_DEVICE_ERROR; the HSM is fine right after. */
static int blip(void) { return once_file[0] && unlink(once_file) == 0; }

/* Calls inside their slowed wait right now: a test waits for one to know a request is on this HSM. */
static int waiting;
int keyward_fault_waiting(void) { return __atomic_load_n(&waiting, __ATOMIC_RELAXED); }

static void maybe_wait(void)
{
    FILE *f = slow_file[0] ? fopen(slow_file, "r") : NULL;
    if (!f) return;
    long ms = 0;
    if (fscanf(f, "%ld", &ms) == 1 && ms > 0)
    {
        __atomic_fetch_add(&waiting, 1, __ATOMIC_RELAXED);
        usleep((useconds_t)(ms * 1000));
        __atomic_fetch_sub(&waiting, 1, __ATOMIC_RELAXED);
    }
    fclose(f);
}

static void remember_slot(U slot)
{
    for (int i = 0; i < slot_count; i++) if (slots[i] == slot) return;
    if (slot_count < 64) slots[slot_count++] = slot;
}

/* C_Encrypt calls this HSM answered CKR_OK: a test waits for it to grow to know the HSM serves requests again. */
static unsigned long encryptions;
unsigned long keyward_fault_encryptions(void) { return __atomic_load_n(&encryptions, __ATOMIC_RELAXED); }

#define FORWARD(i) \
    static U f##i(U a, U b, U c, U d, U e, U f, U g, U h) \
    { \
        maybe_wait(); \
        if (down() || blip()) return CKR_DEVICE_ERROR; \
        U rv = ((Fn)backend->fn[i])(a, b, c, d, e, f, g, h); \
        if (i == I_Encrypt && rv == CKR_OK) __atomic_fetch_add(&encryptions, 1, __ATOMIC_RELAXED); \
        return rv; \
    }
#define F10(t) FORWARD(t##0) FORWARD(t##1) FORWARD(t##2) FORWARD(t##3) FORWARD(t##4) FORWARD(t##5) FORWARD(t##6) FORWARD(t##7) FORWARD(t##8) FORWARD(t##9)
FORWARD(2) FORWARD(4) FORWARD(5) FORWARD(6) FORWARD(7) FORWARD(8) FORWARD(9) FORWARD(10) FORWARD(11) FORWARD(13)
FORWARD(15) FORWARD(16) FORWARD(17) FORWARD(18) FORWARD(19)
F10(2) F10(3) F10(4) F10(5)
FORWARD(60) FORWARD(61) FORWARD(62) FORWARD(63) FORWARD(64) FORWARD(65) FORWARD(66) FORWARD(67)

static U initialize(U a, U b, U c, U d, U e, U f, U g, U h)
{
    (void)b; (void)c; (void)d; (void)e; (void)f; (void)g; (void)h;
    if (down()) return CKR_DEVICE_ERROR;
    U rv = ((Fn)backend->fn[I_Initialize])(a, 0, 0, 0, 0, 0, 0, 0);
    return rv == CKR_CRYPTOKI_ALREADY_INITIALIZED ? CKR_OK : rv;
}

static U finalize(U a, U b, U c, U d, U e, U f, U g, U h)
{
    (void)a; (void)b; (void)c; (void)d; (void)e; (void)f; (void)g; (void)h;
    for (int i = 0; i < slot_count; i++) ((Fn)backend->fn[I_CloseAllSessions])(slots[i], 0, 0, 0, 0, 0, 0, 0);
    return CKR_OK;
}

static U open_session(U a, U b, U c, U d, U e, U f, U g, U h)
{
    if (down()) return CKR_DEVICE_ERROR;
    U rv = ((Fn)backend->fn[I_OpenSession])(a, b, c, d, e, f, g, h);
    if (rv == CKR_OK) remember_slot(a);
    return rv;
}

static U close_all(U a, U b, U c, U d, U e, U f, U g, U h)
{
    if (down()) return CKR_DEVICE_ERROR;
    return ((Fn)backend->fn[I_CloseAllSessions])(a, b, c, d, e, f, g, h);
}

U C_GetFunctionList(FunctionList **list)
{
    if (!backend) {
        const char *path = getenv("KEYWARD_FAULT_BACKEND");
        const char *file = getenv("KEYWARD_FAULT_FILE");
        if (!path || !file || strlen(file) >= sizeof fault_file) return 0x5UL; /* CKR_GENERAL_ERROR */
        strcpy(fault_file, file);
        strcpy(slow_file, file);
        strcat(slow_file, ".slow");
        strcpy(once_file, file);
        strcat(once_file, ".once");
        void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        if (!lib) return 0x5UL;
        U (*get)(FunctionList **) = (U (*)(FunctionList **))dlsym(lib, "C_GetFunctionList");
        if (!get || get(&backend) != CKR_OK) return 0x5UL;
        own.version[0] = backend->version[0];
        own.version[1] = backend->version[1];
        void *table[68] = {
            initialize, finalize, f2, (void *)C_GetFunctionList, f4, f5, f6, f7, f8, f9,
            f10, f11, open_session, f13, close_all, f15, f16, f17, f18, f19,
            f20, f21, f22, f23, f24, f25, f26, f27, f28, f29,
            f30, f31, f32, f33, f34, f35, f36, f37, f38, f39,
            f40, f41, f42, f43, f44, f45, f46, f47, f48, f49,
            f50, f51, f52, f53, f54, f55, f56, f57, f58, f59,
            f60, f61, f62, f63, f64, f65, f66, f67,
        };
        memcpy(own.fn, table, sizeof table);
    }
    *list = &own;
    return CKR_OK;
}
