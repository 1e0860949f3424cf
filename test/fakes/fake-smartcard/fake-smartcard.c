/*
 * fake-smartcard.c -- a FAKE PKCS#11 smart card, for Signet's tests only.
 *
 * Why it exists: SoftHSM2 never locks a PIN (it only raises CKF_USER_PIN_COUNT_LOW
 * after a wrong PIN), has no PIN pad and its tokens can never be pulled out, while
 * real smart cards lock after a few wrong tries, some authenticate through a
 * protected path (a PIN pad), and any of them can be pulled from the reader. Signet
 * has to show the lockout progression, log in through a PIN pad and survive a card
 * pulled and put back, so this module wraps a real SoftHSM2 token and adds exactly
 * that behaviour. It is not a real card, and says so: every token reports
 * manufacturerID "Signet fake smart card".
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
 *   C_WaitForSlotEvent reports cards put in and pulled out (and slots SoftHSM2 adds when
 *                      a token is initialised), blocking or with CKF_DONT_BLOCK, where
 *                      SoftHSM2 has no slot events at all.
 *   C_Sign             with FAKE_SMARTCARD_CORRUPT_SIGNATURE=1, flips one bit of the
 *                      signature SoftHSM2 made: a card gone bad, whose signature does
 *                      not verify (a real token never hands one out on purpose).
 *
 * Card removal (each SoftHSM2 slot is a reader, its token the card in it, named by
 * serial). The presence file says which cards are out; while one is:
 *   C_GetSlotList(CK_TRUE) leaves its slot out; with CK_FALSE the slot is listed and
 *                      C_GetSlotInfo lacks CKF_TOKEN_PRESENT (every slot reports
 *                      CKF_REMOVABLE_DEVICE: it is a reader).
 *   C_GetTokenInfo, C_GetMechanismList/Info, C_InitToken, C_OpenSession and
 *   C_CloseAllSessions give CKR_TOKEN_NOT_PRESENT.
 *   Every call on a session opened before the removal gives CKR_DEVICE_REMOVED.
 * The card loses power when pulled: its SoftHSM2 sessions are closed (which ends the
 * login), so once it is back new sessions work and start logged out, while the
 * sessions from before stay dead: CKR_SESSION_HANDLE_INVALID, as OpenSC answers once it
 * has noticed the removal (PKCS#11 v2.40 §5.1 and §11: the sessions of a removed token
 * are closed). For that the module hands out session handles of its own, never reused,
 * so a dead handle cannot alias a new SoftHSM2 session. Each process notices a change
 * at its next call touching that card, as a driver notices it at its next APDU.
 *
 * Environment (read per call, except the first):
 *   FAKE_SMARTCARD_UNDERLYING  SoftHSM2 library (default /usr/lib/softhsm/libsofthsm2.so)
 *   FAKE_SMARTCARD_STATE       required: file holding "<token serial> <failures>" lines, so
 *                              the count survives across processes (each CLI run is one)
 *   FAKE_SMARTCARD_PRESENCE    optional: file of "<token serial> present|removed <insertion>"
 *                              lines, written by the test (atomically, by rename); a card
 *                              not listed (or no file) is in its reader, insertion 0. The
 *                              insertion number goes up at each removal: a session opened
 *                              under another number is from before a removal.
 *   FAKE_SMARTCARD_PINPAD=1    the card has a PIN pad
 *   FAKE_SMARTCARD_PINPAD_PIN  what the user "types on the pad"; unset = user cancels
 *   FAKE_SMARTCARD_CORRUPT_SIGNATURE=1  every signature comes back with one bit flipped
 *   FAKE_SMARTCARD_PULL_AT_KEYGEN=<serial>  that card is pulled out (the presence file
 *                              written) while C_GenerateKeyPair makes its key: the key is
 *                              made, the caller gets CKR_DEVICE_REMOVED
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

/* ---- card presence: "<serial> present|removed <insertion>" lines ---------------- */

struct card {
  int removed;
  long insertion; /* goes up at each removal */
};

/* Where the card with this serial is now. Read per call: the test moves cards between
 * calls, from its own process, by renaming a new file over the old one. */
static struct card card_state(const char *serial) {
  struct card card = {0, 0};
  const char *path = getenv("FAKE_SMARTCARD_PRESENCE");
  if (!path || !*path || !*serial) return card;
  FILE *file = fopen(path, "re");
  if (!file) return card;
  char line[128], name[17], state[16];
  long insertion;
  while (fgets(line, sizeof line, file)) {
    if (sscanf(line, " %16s %15s %ld", name, state, &insertion) == 3 && strcmp(name, serial) == 0) {
      card.removed = strcmp(state, "removed") == 0;
      card.insertion = insertion;
      break;
    }
  }
  fclose(file);
  return card;
}

/* ---- sessions: our handles, SoftHSM2's behind them ---------------------------------- */

struct session {
  CK_SESSION_HANDLE handle; /* what the application holds; never reused */
  CK_SESSION_HANDLE real;   /* SoftHSM2's; 0 once the card lost power */
  CK_SLOT_ID slot;
  char serial[17];
  long insertion; /* of the card when the session was opened */
};

static pthread_mutex_t sessions_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct session *sessions;
static size_t session_count, session_capacity;
static CK_SESSION_HANDLE next_handle = 0x5100;

static CK_RV remember_session(const struct session *entry) {
  pthread_mutex_lock(&sessions_mutex);
  if (session_count == session_capacity) {
    size_t capacity = session_capacity ? session_capacity * 2 : 16;
    struct session *grown = realloc(sessions, capacity * sizeof *grown);
    if (!grown) {
      pthread_mutex_unlock(&sessions_mutex);
      return CKR_HOST_MEMORY;
    }
    sessions = grown;
    session_capacity = capacity;
  }
  sessions[session_count++] = *entry;
  pthread_mutex_unlock(&sessions_mutex);
  return CKR_OK;
}

/* Copies the session out; 0 if the handle is not one of ours. */
static int find_session(CK_SESSION_HANDLE handle, struct session *out) {
  int found = 0;
  pthread_mutex_lock(&sessions_mutex);
  for (size_t i = 0; i < session_count && !found; i++)
    if (sessions[i].handle == handle) {
      *out = sessions[i];
      found = 1;
    }
  pthread_mutex_unlock(&sessions_mutex);
  return found;
}

/* Forgets the session; `out` gets it as it was last (its real handle may be 0 by now). */
static int forget_session(CK_SESSION_HANDLE handle, struct session *out) {
  int found = 0;
  pthread_mutex_lock(&sessions_mutex);
  for (size_t i = 0; i < session_count; i++)
    if (sessions[i].handle == handle) {
      *out = sessions[i];
      sessions[i] = sessions[--session_count];
      found = 1;
      break;
    }
  pthread_mutex_unlock(&sessions_mutex);
  return found;
}

/* Forgets every session in a slot (C_CloseAllSessions); SoftHSM2 closes its own. */
static void forget_slot(CK_SLOT_ID slot) {
  pthread_mutex_lock(&sessions_mutex);
  for (size_t i = 0; i < session_count;)
    if (sessions[i].slot == slot)
      sessions[i] = sessions[--session_count];
    else
      i++;
  pthread_mutex_unlock(&sessions_mutex);
}

static void forget_all_sessions(void) {
  pthread_mutex_lock(&sessions_mutex);
  free(sessions);
  sessions = NULL;
  session_count = session_capacity = 0;
  pthread_mutex_unlock(&sessions_mutex);
}

/*
 * The card as it is now, after what pulling it did: a pulled card loses power, so
 * the SoftHSM2 sessions opened under an earlier insertion are closed (SoftHSM2 ends
 * the login with the token's last session). Their handles stay known, and dead.
 */
static struct card sync_card(const char *serial) {
  struct card card = card_state(serial);
  CK_SESSION_HANDLE dead[64];
  size_t n;
  do {
    n = 0;
    pthread_mutex_lock(&sessions_mutex);
    for (size_t i = 0; i < session_count && n < 64; i++) {
      struct session *s = &sessions[i];
      if (s->real && s->insertion != card.insertion && strcmp(s->serial, serial) == 0) {
        dead[n++] = s->real;
        s->real = 0;
      }
    }
    pthread_mutex_unlock(&sessions_mutex);
    for (size_t i = 0; i < n; i++) real->C_CloseSession(dead[i]);
  } while (n == 64);
  return card;
}

static CK_RV serial_of_slot(CK_SLOT_ID slot, char out[17]) {
  CK_TOKEN_INFO info;
  CK_RV rv = real->C_GetTokenInfo(slot, &info);
  if (rv == CKR_OK) trimmed_serial(&info, out);
  return rv;
}

/* CKR_TOKEN_NOT_PRESENT if the slot's card is out, else CKR_OK (or SoftHSM2's error). */
static CK_RV check_slot(CK_SLOT_ID slot) {
  char serial[17];
  CK_RV rv = serial_of_slot(slot, serial);
  if (rv != CKR_OK) return rv;
  return sync_card(serial).removed ? CKR_TOKEN_NOT_PRESENT : CKR_OK;
}

/* From the application's handle to SoftHSM2's, or why the session is dead. */
static CK_RV resolve(CK_SESSION_HANDLE handle, CK_SESSION_HANDLE *real_handle) {
  struct session s;
  if (!find_session(handle, &s)) return CKR_SESSION_HANDLE_INVALID;
  struct card card = sync_card(s.serial);
  if (card.removed) return CKR_DEVICE_REMOVED;
  if (card.insertion != s.insertion || !find_session(handle, &s) || !s.real)
    return CKR_SESSION_HANDLE_INVALID; /* the card was pulled and put back since */
  *real_handle = s.real;
  return CKR_OK;
}

/* ---- patched entry points ----------------------------------------------------- */

static CK_RV fake_Login(CK_SESSION_HANDLE handle, CK_USER_TYPE user, CK_UTF8CHAR_PTR pin,
                        CK_ULONG pin_len) {
  CK_SESSION_HANDLE session;
  CK_RV rv = resolve(handle, &session);
  if (rv != CKR_OK) return rv;
  if (user != CKU_USER) return real->C_Login(session, user, pin, pin_len);

  if (pinpad() && pin_len == 0) { /* nothing given: the user types on the pad */
    const char *typed = getenv("FAKE_SMARTCARD_PINPAD_PIN");
    if (!typed) return CKR_FUNCTION_CANCELED;
    pin = (CK_UTF8CHAR_PTR)typed;
    pin_len = strlen(typed);
  }

  char serial[17];
  rv = serial_of_session(session, serial);
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
  if (sync_card(serial).removed) return CKR_TOKEN_NOT_PRESENT;
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

static CK_RV fake_InitPIN(CK_SESSION_HANDLE handle, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len) {
  CK_SESSION_HANDLE session;
  CK_RV rv = resolve(handle, &session);
  if (rv != CKR_OK) return rv;
  rv = real->C_InitPIN(session, pin, pin_len);
  if (rv != CKR_OK) return rv;
  char serial[17];
  if (serial_of_session(session, serial) != CKR_OK) return CKR_OK;
  int fd = state_lock();
  if (fd < 0) return CKR_GENERAL_ERROR;
  set_failures(fd, serial, 0);
  state_unlock(fd);
  return CKR_OK;
}

/* ---- removal: slots, tokens and sessions ----------------------------------------- */

/* ---- slot events: cards put in and pulled out (C_WaitForSlotEvent) ---------------- */

/*
 * SoftHSM2 has no slot events (a blocking C_WaitForSlotEvent is CKR_FUNCTION_NOT_SUPPORTED,
 * and CKF_DONT_BLOCK always answers CKR_NO_EVENT). A reader's module has them: each call
 * returns a slot whose card went in or out since this process last heard, in the order
 * the module notices them (PKCS#11 v2.40 §5.5). Here a slot's state is its card's
 * presence (the presence file) and whether the slot exists: SoftHSM2 adds a slot when a
 * token is initialised, which a reader shows as a card put in. The baseline is taken at
 * C_Initialize; a blocking wait looks every 50 ms and ends with
 * CKR_CRYPTOKI_NOT_INITIALIZED when C_Finalize is called meanwhile, as the standard
 * requires (that is how an application stops a thread blocked in it).
 */
struct known_slot {
  CK_SLOT_ID id;
  int present;
};

static pthread_rwlock_t library_lock = PTHREAD_RWLOCK_INITIALIZER; /* waits read, C_Finalize writes */
static pthread_mutex_t events_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct known_slot known[MAX_TOKENS];
static int known_count = -1; /* -1: no baseline yet */
static int initialised;       /* under library_lock */

/* Every slot and whether its card is in; -1 if SoftHSM2 cannot list them. */
static int slot_states(struct known_slot *out) {
  CK_SLOT_ID slots[MAX_TOKENS];
  CK_ULONG n = MAX_TOKENS;
  if (real->C_GetSlotList(CK_FALSE, slots, &n) != CKR_OK) return -1;
  for (CK_ULONG i = 0; i < n; i++) {
    char serial[17];
    out[i].id = slots[i];
    /* card_state, not sync_card: noticing an event closes no session. */
    out[i].present = serial_of_slot(slots[i], serial) == CKR_OK && !card_state(serial).removed;
  }
  return (int)n;
}

/* 1 and the slot if one changed since this process last heard (and records it), 0 if
 * none did, -1 on error. The first call only takes the baseline. */
static int next_slot_event(CK_SLOT_ID *slot) {
  struct known_slot now[MAX_TOKENS];
  int n = slot_states(now);
  if (n < 0) return -1;
  int found = 0;
  pthread_mutex_lock(&events_mutex);
  if (known_count < 0) {
    memcpy(known, now, n * sizeof *now);
    known_count = n;
  } else {
    for (int i = 0; i < n && !found; i++) {
      int j = 0;
      while (j < known_count && known[j].id != now[i].id) j++;
      if (j == known_count) {
        if (known_count == MAX_TOKENS) continue;
        known[known_count++] = now[i]; /* a new slot: a reader with a card just put in */
        found = now[i].present;
      } else if (known[j].present != now[i].present) {
        known[j].present = now[i].present;
        found = 1;
      }
      if (found) *slot = now[i].id;
    }
  }
  pthread_mutex_unlock(&events_mutex);
  return found;
}

static CK_RV fake_WaitForSlotEvent(CK_FLAGS flags, CK_SLOT_ID_PTR slot, CK_VOID_PTR reserved) {
  if (!slot || reserved) return CKR_ARGUMENTS_BAD;
  for (;;) {
    pthread_rwlock_rdlock(&library_lock);
    if (!initialised) {
      pthread_rwlock_unlock(&library_lock);
      return CKR_CRYPTOKI_NOT_INITIALIZED;
    }
    int event = next_slot_event(slot);
    pthread_rwlock_unlock(&library_lock);
    if (event < 0) return CKR_DEVICE_ERROR;
    if (event > 0) return CKR_OK;
    if (flags & CKF_DONT_BLOCK) return CKR_NO_EVENT;
    usleep(50 * 1000);
  }
}

static CK_RV fake_Initialize(CK_VOID_PTR args) {
  CK_RV rv = real->C_Initialize(args);
  if (rv != CKR_OK) return rv;
  pthread_rwlock_wrlock(&library_lock);
  initialised = 1;
  pthread_mutex_lock(&events_mutex);
  known_count = -1;
  pthread_mutex_unlock(&events_mutex);
  CK_SLOT_ID ignored;
  next_slot_event(&ignored); /* the baseline */
  pthread_rwlock_unlock(&library_lock);
  return CKR_OK;
}

/* Waits until no slot-event wait is inside SoftHSM2; every wait then ends with
 * CKR_CRYPTOKI_NOT_INITIALIZED at its next look. */
static CK_RV fake_Finalize(CK_VOID_PTR reserved) {
  pthread_rwlock_wrlock(&library_lock);
  CK_RV rv = real->C_Finalize(reserved);
  if (rv == CKR_OK) {
    initialised = 0;
    forget_all_sessions();
  }
  pthread_rwlock_unlock(&library_lock);
  return rv;
}

static CK_RV fake_GetSlotList(CK_BBOOL present, CK_SLOT_ID_PTR list, CK_ULONG_PTR count) {
  if (!present || !count) return real->C_GetSlotList(present, list, count);
  CK_ULONG n = 0;
  CK_RV rv = real->C_GetSlotList(CK_TRUE, NULL, &n);
  if (rv != CKR_OK) return rv;
  CK_SLOT_ID *slots = calloc(n ? n : 1, sizeof *slots);
  if (!slots) return CKR_HOST_MEMORY;
  rv = real->C_GetSlotList(CK_TRUE, slots, &n);
  CK_ULONG kept = 0;
  for (CK_ULONG i = 0; rv == CKR_OK && i < n; i++)
    if (check_slot(slots[i]) != CKR_TOKEN_NOT_PRESENT) slots[kept++] = slots[i];
  if (rv == CKR_OK && list) {
    if (*count < kept)
      rv = CKR_BUFFER_TOO_SMALL;
    else
      memcpy(list, slots, kept * sizeof *slots);
  }
  if (rv == CKR_OK || rv == CKR_BUFFER_TOO_SMALL) *count = kept;
  free(slots);
  return rv;
}

static CK_RV fake_GetSlotInfo(CK_SLOT_ID slot, CK_SLOT_INFO_PTR info) {
  CK_RV rv = real->C_GetSlotInfo(slot, info);
  if (rv != CKR_OK) return rv;
  info->flags |= CKF_REMOVABLE_DEVICE; /* a card reader */
  if ((info->flags & CKF_TOKEN_PRESENT) && check_slot(slot) == CKR_TOKEN_NOT_PRESENT)
    info->flags &= ~(CK_FLAGS)CKF_TOKEN_PRESENT;
  return CKR_OK;
}

static CK_RV fake_GetMechanismList(CK_SLOT_ID slot, CK_MECHANISM_TYPE_PTR list,
                                   CK_ULONG_PTR count) {
  CK_RV rv = check_slot(slot);
  return rv == CKR_OK ? real->C_GetMechanismList(slot, list, count) : rv;
}

static CK_RV fake_GetMechanismInfo(CK_SLOT_ID slot, CK_MECHANISM_TYPE type,
                                   CK_MECHANISM_INFO_PTR info) {
  CK_RV rv = check_slot(slot);
  return rv == CKR_OK ? real->C_GetMechanismInfo(slot, type, info) : rv;
}

static CK_RV fake_InitToken(CK_SLOT_ID slot, CK_UTF8CHAR_PTR pin, CK_ULONG pin_len,
                            CK_UTF8CHAR_PTR label) {
  CK_RV rv = check_slot(slot);
  return rv == CKR_OK ? real->C_InitToken(slot, pin, pin_len, label) : rv;
}

static CK_RV fake_OpenSession(CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify,
                              CK_SESSION_HANDLE_PTR out) {
  if (!out) return CKR_ARGUMENTS_BAD;
  struct session s = {0, 0, slot, "", 0};
  CK_RV rv = serial_of_slot(slot, s.serial);
  if (rv != CKR_OK) return rv;
  struct card card = sync_card(s.serial);
  if (card.removed) return CKR_TOKEN_NOT_PRESENT;
  s.insertion = card.insertion;
  rv = real->C_OpenSession(slot, flags, app, notify, &s.real);
  if (rv != CKR_OK) return rv;
  pthread_mutex_lock(&sessions_mutex);
  s.handle = next_handle++;
  pthread_mutex_unlock(&sessions_mutex);
  rv = remember_session(&s);
  if (rv != CKR_OK) {
    real->C_CloseSession(s.real);
    return rv;
  }
  *out = s.handle;
  return CKR_OK;
}

/* The handle is released whatever the card's state; a dead session still says it was dead. */
static CK_RV fake_CloseSession(CK_SESSION_HANDLE handle) {
  struct session s;
  if (!find_session(handle, &s)) return CKR_SESSION_HANDLE_INVALID;
  struct card card = sync_card(s.serial);
  if (!forget_session(handle, &s)) return CKR_SESSION_HANDLE_INVALID;
  CK_RV rv = s.real ? real->C_CloseSession(s.real) : CKR_OK;
  if (card.removed) return CKR_DEVICE_REMOVED;
  if (card.insertion != s.insertion) return CKR_SESSION_HANDLE_INVALID;
  return rv;
}

static CK_RV fake_CloseAllSessions(CK_SLOT_ID slot) {
  CK_RV rv = check_slot(slot);
  forget_slot(slot);
  CK_RV closed = real->C_CloseAllSessions(slot);
  return rv == CKR_OK ? closed : rv;
}

/*
 * Every other call on a session: checked, then forwarded with SoftHSM2's handle.
 * `params` names the session `hSession`; `args` passes SoftHSM2's as `session`.
 */
#define SESSION_CALL(name, params, args)                  \
  static CK_RV fake_##name params {                       \
    CK_SESSION_HANDLE session;                            \
    CK_RV rv = resolve(hSession, &session);               \
    return rv == CKR_OK ? real->C_##name args : rv;       \
  }

SESSION_CALL(GetSessionInfo, (CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR a), (session, a))
SESSION_CALL(GetOperationState, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(SetOperationState,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_OBJECT_HANDLE c,
              CK_OBJECT_HANDLE d),
             (session, a, b, c, d))
SESSION_CALL(Logout, (CK_SESSION_HANDLE hSession), (session))
SESSION_CALL(SetPIN,
             (CK_SESSION_HANDLE hSession, CK_UTF8CHAR_PTR a, CK_ULONG b, CK_UTF8CHAR_PTR c,
              CK_ULONG d),
             (session, a, b, c, d))
SESSION_CALL(CreateObject,
             (CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR a, CK_ULONG b, CK_OBJECT_HANDLE_PTR c),
             (session, a, b, c))
SESSION_CALL(CopyObject,
             (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c,
              CK_OBJECT_HANDLE_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DestroyObject, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a), (session, a))
SESSION_CALL(GetObjectSize, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(GetAttributeValue,
             (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c),
             (session, a, b, c))
SESSION_CALL(SetAttributeValue,
             (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a, CK_ATTRIBUTE_PTR b, CK_ULONG c),
             (session, a, b, c))
SESSION_CALL(FindObjectsInit, (CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(FindObjects,
             (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR a, CK_ULONG b, CK_ULONG_PTR c),
             (session, a, b, c))
SESSION_CALL(FindObjectsFinal, (CK_SESSION_HANDLE hSession), (session))
SESSION_CALL(EncryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b),
             (session, a, b))
SESSION_CALL(Encrypt,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(EncryptUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(EncryptFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(DecryptInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b),
             (session, a, b))
SESSION_CALL(Decrypt,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DecryptUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DecryptFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(DigestInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a), (session, a))
SESSION_CALL(Digest,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DigestUpdate, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(DigestKey, (CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE a), (session, a))
SESSION_CALL(DigestFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(SignInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b),
             (session, a, b))
/*
 * The card gone bad: SoftHSM2 signs, then one bit of the signature flips (the low bit
 * of its second-last byte: inside s for ECDSA r||s or DER, inside S for Ed25519, so the
 * value stays in range and only the verification can tell).
 */
static CK_RV fake_Sign(CK_SESSION_HANDLE hSession, CK_BYTE_PTR data, CK_ULONG data_len,
                       CK_BYTE_PTR signature, CK_ULONG_PTR signature_len) {
  CK_SESSION_HANDLE session;
  CK_RV rv = resolve(hSession, &session);
  if (rv != CKR_OK) return rv;
  rv = real->C_Sign(session, data, data_len, signature, signature_len);
  const char *corrupt = getenv("FAKE_SMARTCARD_CORRUPT_SIGNATURE");
  if (rv == CKR_OK && signature && signature_len && *signature_len >= 2 && corrupt &&
      strcmp(corrupt, "1") == 0) {
    signature[*signature_len - 2] ^= 0x01;
  }
  return rv;
}
SESSION_CALL(SignUpdate, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(SignFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG_PTR b),
             (session, a, b))
SESSION_CALL(SignRecoverInit,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b), (session, a, b))
SESSION_CALL(SignRecover,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(VerifyInit, (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b),
             (session, a, b))
SESSION_CALL(Verify,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c, CK_ULONG d),
             (session, a, b, c, d))
SESSION_CALL(VerifyUpdate, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(VerifyFinal, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(VerifyRecoverInit,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b), (session, a, b))
SESSION_CALL(VerifyRecover,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DigestEncryptUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DecryptDigestUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(SignEncryptUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(DecryptVerifyUpdate,
             (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b, CK_BYTE_PTR c,
              CK_ULONG_PTR d),
             (session, a, b, c, d))
SESSION_CALL(GenerateKey,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_ATTRIBUTE_PTR b, CK_ULONG c,
              CK_OBJECT_HANDLE_PTR d),
             (session, a, b, c, d))
/*
 * Pulls the card out from inside the module (FAKE_SMARTCARD_PULL_AT_KEYGEN): its line in
 * the presence file becomes "removed" with the next insertion number, written beside and
 * renamed over as the test does. 0 on success.
 */
static int pull_card(const char *serial) {
  const char *path = getenv("FAKE_SMARTCARD_PRESENCE");
  if (!path || !*path) return -1;
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  struct card card = card_state(serial);
  FILE *out = fopen(tmp, "we");
  if (!out) return -1;
  FILE *in = fopen(path, "re");
  if (in) {
    char line[128], name[17];
    while (fgets(line, sizeof line, in))
      if (sscanf(line, " %16s", name) != 1 || strcmp(name, serial) != 0) fputs(line, out);
    fclose(in);
  }
  fprintf(out, "%s removed %ld\n", serial, card.insertion + 1);
  if (fclose(out) != 0) return -1;
  return rename(tmp, path) == 0 ? 0 : -1;
}

/*
 * FAKE_SMARTCARD_PULL_AT_KEYGEN=<serial>: that card is pulled out while it makes a key
 * pair. The card made it (SoftHSM2 stored it) but the answer never came back: the caller
 * gets CKR_DEVICE_REMOVED, and the card stays out until the test puts it back.
 */
static CK_RV fake_GenerateKeyPair(CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a,
                                  CK_ATTRIBUTE_PTR b, CK_ULONG c, CK_ATTRIBUTE_PTR d, CK_ULONG e,
                                  CK_OBJECT_HANDLE_PTR f, CK_OBJECT_HANDLE_PTR g) {
  CK_SESSION_HANDLE session;
  CK_RV rv = resolve(hSession, &session);
  if (rv != CKR_OK) return rv;
  char serial[17];
  const char *pull = getenv("FAKE_SMARTCARD_PULL_AT_KEYGEN");
  int pulling = pull && *pull && serial_of_session(session, serial) == CKR_OK &&
                strcmp(serial, pull) == 0;
  rv = real->C_GenerateKeyPair(session, a, b, c, d, e, f, g);
  if (rv != CKR_OK || !pulling) return rv;
  if (pull_card(serial) != 0) return CKR_GENERAL_ERROR;
  sync_card(serial); /* the card lost power: its sessions are closed */
  return CKR_DEVICE_REMOVED;
}
SESSION_CALL(WrapKey,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b,
              CK_OBJECT_HANDLE c, CK_BYTE_PTR d, CK_ULONG_PTR e),
             (session, a, b, c, d, e))
SESSION_CALL(UnwrapKey,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b, CK_BYTE_PTR c,
              CK_ULONG d, CK_ATTRIBUTE_PTR e, CK_ULONG f, CK_OBJECT_HANDLE_PTR g),
             (session, a, b, c, d, e, f, g))
SESSION_CALL(DeriveKey,
             (CK_SESSION_HANDLE hSession, CK_MECHANISM_PTR a, CK_OBJECT_HANDLE b,
              CK_ATTRIBUTE_PTR c, CK_ULONG d, CK_OBJECT_HANDLE_PTR e),
             (session, a, b, c, d, e))
SESSION_CALL(SeedRandom, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b), (session, a, b))
SESSION_CALL(GenerateRandom, (CK_SESSION_HANDLE hSession, CK_BYTE_PTR a, CK_ULONG b),
             (session, a, b))
SESSION_CALL(GetFunctionStatus, (CK_SESSION_HANDLE hSession), (session))
SESSION_CALL(CancelFunction, (CK_SESSION_HANDLE hSession), (session))

#define PATCH(name) fake.C_##name = fake_##name

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
      PATCH(Login);
      PATCH(GetTokenInfo);
      PATCH(InitPIN);
      /* slot events */
      PATCH(Initialize);
      PATCH(WaitForSlotEvent);
      /* removal: every call that names a slot or a session */
      PATCH(Finalize);
      PATCH(GetSlotList);
      PATCH(GetSlotInfo);
      PATCH(GetMechanismList);
      PATCH(GetMechanismInfo);
      PATCH(InitToken);
      PATCH(OpenSession);
      PATCH(CloseSession);
      PATCH(CloseAllSessions);
      PATCH(GetSessionInfo);
      PATCH(GetOperationState);
      PATCH(SetOperationState);
      PATCH(Logout);
      PATCH(SetPIN);
      PATCH(CreateObject);
      PATCH(CopyObject);
      PATCH(DestroyObject);
      PATCH(GetObjectSize);
      PATCH(GetAttributeValue);
      PATCH(SetAttributeValue);
      PATCH(FindObjectsInit);
      PATCH(FindObjects);
      PATCH(FindObjectsFinal);
      PATCH(EncryptInit);
      PATCH(Encrypt);
      PATCH(EncryptUpdate);
      PATCH(EncryptFinal);
      PATCH(DecryptInit);
      PATCH(Decrypt);
      PATCH(DecryptUpdate);
      PATCH(DecryptFinal);
      PATCH(DigestInit);
      PATCH(Digest);
      PATCH(DigestUpdate);
      PATCH(DigestKey);
      PATCH(DigestFinal);
      PATCH(SignInit);
      PATCH(Sign);
      PATCH(SignUpdate);
      PATCH(SignFinal);
      PATCH(SignRecoverInit);
      PATCH(SignRecover);
      PATCH(VerifyInit);
      PATCH(Verify);
      PATCH(VerifyUpdate);
      PATCH(VerifyFinal);
      PATCH(VerifyRecoverInit);
      PATCH(VerifyRecover);
      PATCH(DigestEncryptUpdate);
      PATCH(DecryptDigestUpdate);
      PATCH(SignEncryptUpdate);
      PATCH(DecryptVerifyUpdate);
      PATCH(GenerateKey);
      PATCH(GenerateKeyPair);
      PATCH(WrapKey);
      PATCH(UnwrapKey);
      PATCH(DeriveKey);
      PATCH(SeedRandom);
      PATCH(GenerateRandom);
      PATCH(GetFunctionStatus);
      PATCH(CancelFunction);
    }
  }
  pthread_mutex_unlock(&state_mutex);
  if (rv == CKR_OK) *list = &fake;
  return rv;
}
