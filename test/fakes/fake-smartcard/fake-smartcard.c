/*
 * fake-smartcard.c -- a FAKE PKCS#11 smart card, for Signet's tests only.
 *
 * Why it exists: SoftHSM2 never locks a PIN (it only raises CKF_USER_PIN_COUNT_LOW
 * after a wrong PIN) and has no PIN pad, while real smart cards lock after a few
 * wrong tries and some authenticate through a protected path (a PIN pad). Signet
 * has to show the lockout progression and log in through a PIN pad, so this module
 * wraps a real SoftHSM2 token and adds exactly that behaviour. It is not a real
 * card, and says so: every token reports manufacturerID "Signet fake smart card".
 *
 * Everything is forwarded to SoftHSM2 except:
 *   C_GetFunctionList  returns a copy of SoftHSM2's list with the entries below patched.
 *   C_Login (CKU_USER) counts wrong PINs per token; the 3rd one locks the PIN, after
 *                      which every user login fails with CKR_PIN_LOCKED without
 *                      reaching SoftHSM2. A right PIN while not locked resets the count.
 *                      With a PIN pad, an empty PIN means "typed on the pad".
 *   C_GetTokenInfo     derives the PIN flags from the count, adds
 *                      CKF_PROTECTED_AUTHENTICATION_PATH with a PIN pad, renames the maker.
 *   C_InitPIN          (the SO unblocking the PIN) resets the count on success.
 *
 * Environment (read per call, except the first):
 *   FAKE_SMARTCARD_UNDERLYING  SoftHSM2 library (default /usr/lib/softhsm/libsofthsm2.so)
 *   FAKE_SMARTCARD_STATE       required: file holding "<token serial> <failures>" lines, so
 *                              the count survives across processes (each CLI run is one)
 *   FAKE_SMARTCARD_PINPAD=1    the card has a PIN pad
 *   FAKE_SMARTCARD_PINPAD_PIN  what the user "types on the pad"; unset = user cancels
 *
 * Headers: the OASIS PKCS#11 v2.40 headers shipped in node_modules/pkcs11js/includes/pkcs11.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "pkcs11.h"

#define MAX_TRIES 3
#define MAX_TOKENS 64
#define DEFAULT_UNDERLYING "/usr/lib/softhsm/libsofthsm2.so"
#define PIN_FLAGS (CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY | CKF_USER_PIN_LOCKED)

static CK_FUNCTION_LIST_PTR real; /* SoftHSM2's list */
static CK_FUNCTION_LIST fake;     /* our patched copy */
static pthread_mutex_t state_mutex = PTHREAD_MUTEX_INITIALIZER;

/* ---- state file: one "<serial> <failures>" line per token ---------------------- */

struct entry {
  char serial[17];
  int failures;
};

/* Takes the in-process mutex and an exclusive flock on the state file. */
static int state_lock(void) {
  const char *path = getenv("FAKE_SMARTCARD_STATE");
  if (!path || !*path) return -1;
  pthread_mutex_lock(&state_mutex);
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) != 0) {
    if (fd >= 0) close(fd);
    pthread_mutex_unlock(&state_mutex);
    return -1;
  }
  return fd;
}

static void state_unlock(int fd) {
  close(fd); /* releases the flock */
  pthread_mutex_unlock(&state_mutex);
}

static int state_read(int fd, struct entry *entries) {
  char buf[MAX_TOKENS * 32];
  ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
  buf[len > 0 ? len : 0] = '\0';
  int n = 0, used;
  for (char *p = buf; n < MAX_TOKENS; p += used) {
    if (sscanf(p, " %16s %d%n", entries[n].serial, &entries[n].failures, &used) != 2) break;
    n++;
  }
  return n;
}

static int get_failures(int fd, const char *serial) {
  struct entry entries[MAX_TOKENS];
  int n = state_read(fd, entries);
  for (int i = 0; i < n; i++)
    if (strcmp(entries[i].serial, serial) == 0) return entries[i].failures;
  return 0;
}

static void set_failures(int fd, const char *serial, int failures) {
  struct entry entries[MAX_TOKENS];
  int n = state_read(fd, entries), i = 0;
  while (i < n && strcmp(entries[i].serial, serial) != 0) i++;
  if (i == n && n < MAX_TOKENS) snprintf(entries[n++].serial, sizeof entries[0].serial, "%s", serial);
  if (i < n) entries[i].failures = failures;
  char buf[MAX_TOKENS * 32];
  int len = 0;
  for (int j = 0; j < n; j++)
    len += snprintf(buf + len, sizeof buf - len, "%s %d\n", entries[j].serial, entries[j].failures);
  if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, len, 0) != len)
    fprintf(stderr, "fake-smartcard: could not write the state file\n");
}

/* ---- helpers ---------------------------------------------------------------- */

/* The token's serial, space padding trimmed (serials have no inner spaces). */
static void trimmed_serial(const CK_TOKEN_INFO *info, char out[17]) {
  memcpy(out, info->serialNumber, 16);
  out[16] = '\0';
  for (int i = 15; i >= 0 && out[i] == ' '; i--) out[i] = '\0';
}

static CK_RV serial_of_session(CK_SESSION_HANDLE session, char out[17]) {
  CK_SESSION_INFO session_info;
  CK_TOKEN_INFO token_info;
  CK_RV rv = real->C_GetSessionInfo(session, &session_info);
  if (rv == CKR_OK) rv = real->C_GetTokenInfo(session_info.slotID, &token_info);
  if (rv == CKR_OK) trimmed_serial(&token_info, out);
  return rv;
}

static int pinpad(void) {
  const char *v = getenv("FAKE_SMARTCARD_PINPAD");
  return v && strcmp(v, "1") == 0;
}

/* ---- patched entry points ----------------------------------------------------- */

static CK_RV fake_Login(CK_SESSION_HANDLE session, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                        CK_ULONG pin_len) {
  if (user != CKU_USER) return real->C_Login(session, user, pin, pin_len);

  if (pinpad() && pin_len == 0) { /* nothing given: the user types on the pad */
    const char *typed = getenv("FAKE_SMARTCARD_PINPAD_PIN");
    if (!typed) return CKR_FUNCTION_CANCELED;
    pin = (CK_UTF8CHAR_PTR)typed;
    pin_len = strlen(typed);
  }

  char serial[17];
  CK_RV rv = serial_of_session(session, serial);
  if (rv != CKR_OK) return rv;
  int fd = state_lock();
  if (fd < 0) return CKR_GENERAL_ERROR;
  int failures = get_failures(fd, serial);
  if (failures >= MAX_TRIES) {
    rv = CKR_PIN_LOCKED; /* a locked card never checks the PIN */
  } else {
    rv = real->C_Login(session, user, pin, pin_len);
    if (rv == CKR_PIN_INCORRECT) {
      set_failures(fd, serial, ++failures);
      if (failures >= MAX_TRIES) rv = CKR_PIN_LOCKED;
    } else if (rv == CKR_OK && failures != 0) {
      set_failures(fd, serial, 0);
    }
  }
  state_unlock(fd);
  return rv;
}

static CK_RV fake_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info) {
  CK_RV rv = real->C_GetTokenInfo(slot, info);
  if (rv != CKR_OK) return rv;

  char serial[17];
  trimmed_serial(info, serial);
  int fd = state_lock();
  if (fd < 0) return CKR_GENERAL_ERROR;
  int failures = get_failures(fd, serial);
  state_unlock(fd);

  info->flags &= ~(CK_FLAGS)PIN_FLAGS;
  if (failures >= MAX_TRIES)
    info->flags |= CKF_USER_PIN_LOCKED;
  else if (failures == MAX_TRIES - 1)
    info->flags |= CKF_USER_PIN_COUNT_LOW | CKF_USER_PIN_FINAL_TRY;
  else if (failures > 0)
    info->flags |= CKF_USER_PIN_COUNT_LOW;
  if (pinpad()) info->flags |= CKF_PROTECTED_AUTHENTICATION_PATH;

  static const char maker[] = "Signet fake smart card";
  memset(info->manufacturerID, ' ', sizeof info->manufacturerID);
  memcpy(info->manufacturerID, maker, sizeof maker - 1);
  return CKR_OK;
}

static CK_RV fake_InitPIN(CK_SESSION_HANDLE session, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len) {
  CK_RV rv = real->C_InitPIN(session, pin, pin_len);
  if (rv != CKR_OK) return rv;
  char serial[17];
  if (serial_of_session(session, serial) != CKR_OK) return CKR_OK;
  int fd = state_lock();
  if (fd < 0) return CKR_GENERAL_ERROR;
  set_failures(fd, serial, 0);
  state_unlock(fd);
  return CKR_OK;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
  if (!list) return CKR_ARGUMENTS_BAD;
  if (!getenv("FAKE_SMARTCARD_STATE")) {
    fprintf(stderr, "fake-smartcard: FAKE_SMARTCARD_STATE must name the state file\n");
    return CKR_GENERAL_ERROR;
  }
  pthread_mutex_lock(&state_mutex);
  CK_RV rv = CKR_OK;
  if (!real) {
    const char *path = getenv("FAKE_SMARTCARD_UNDERLYING");
    void *lib = dlopen(path && *path ? path : DEFAULT_UNDERLYING, RTLD_NOW | RTLD_LOCAL);
    CK_C_GetFunctionList get = lib ? (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList") : NULL;
    if (!get || get(&real) != CKR_OK || !real) {
      const char *why = dlerror();
      fprintf(stderr, "fake-smartcard: cannot load the underlying module: %s\n", why ? why : "");
      real = NULL;
      rv = CKR_GENERAL_ERROR;
    } else {
      fake = *real;
      fake.C_GetFunctionList = C_GetFunctionList;
      fake.C_Login = fake_Login;
      fake.C_GetTokenInfo = fake_GetTokenInfo;
      fake.C_InitPIN = fake_InitPIN;
    }
  }
  pthread_mutex_unlock(&state_mutex);
  if (rv == CKR_OK) *list = &fake;
  return rv;
}
