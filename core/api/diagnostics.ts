/**
 * The diagnostics part of Signet's API contract: `doctor.run` (the UI's
 * Diagnostics panel and `signet doctor`) and the report it returns. The report
 * is plain data for a support ticket: no PIN, no key material, node URLs
 * without their credentials. Pure zod, no Node imports.
 *
 * Each finding names its kind by a stable `code` ("token.userPinLocked") and
 * carries the facts its sentence is made from. The English sentences live here
 * (`findingTexts`), so the CLI's lines and the UI's English strings are one
 * text; other languages translate them by code in the renderer's locales.
 */
import { z } from 'zod';

/**
 * What a finding is about ('hid': Ledgers over USB and the udev rules). A new
 * check adds its area here and its texts below.
 */
export const findingAreas = ['modules', 'tokens', 'ledger', 'data', 'locks', 'hid'] as const;
export const findingAreaSchema = z.enum(findingAreas);
export type FindingArea = z.infer<typeof findingAreaSchema>;

/** ok: nothing to do; warn: works, but look at it; fail: something does not work. */
export const findingStatusSchema = z.enum(['ok', 'warn', 'fail']);
export type FindingStatus = z.infer<typeof findingStatusSchema>;

/** Paths, URLs, labels, versions, counts: what a sentence is made from, for programs too. */
export const findingFactsSchema = z.record(
  z.string().max(64),
  z.union([z.string().max(4_096), z.number(), z.boolean(), z.null()]),
);
export type FindingFacts = z.infer<typeof findingFactsSchema>;

/**
 * The English sentence of each kind of finding ({{fact}} is filled from its
 * facts), and for warnings and failures the fix, in one sentence.
 */
export const findingTexts = {
  module: {
    none: {
      what: 'No PKCS#11 module found.',
      fix: 'Install your token’s PKCS#11 module (softhsm2, opensc or tpm2-pkcs11 on Debian), or add its path to "modules" in {{config}}.',
    },
    loaded: {
      what: '{{name}} loads: {{description}} {{libraryVersion}} by {{manufacturer}}, Cryptoki {{cryptokiVersion}} ({{path}}, source: {{source}}).',
    },
    missing: {
      what: '{{path}}, listed in {{config}}, does not exist.',
      fix: 'Correct the path in "modules" of {{config}}, or remove it.',
    },
    invalid: {
      what: '{{path}} is not a PKCS#11 module ({{reason}}).',
      fix: 'Point the entry that names it ("modules" in {{config}}, or its p11-kit module file) at the module’s real library, or remove the entry.',
    },
    initFailed: {
      what: '{{path}} loads but does not start: {{reason}}.',
      fix: 'Start what the module needs (a TPM and tpm2-abrmd for tpm2-pkcs11, pcscd for smart-card readers), or hide it from Signet with "disable-in: signet" in its p11-kit module file.',
    },
    slotsFailed: {
      what: '{{path}} cannot list its slots: {{reason}}.',
      fix: 'Restart what the module talks to (pcscd for card readers) and run the doctor again; if it persists, reinstall the module.',
    },
  },
  token: {
    none: {
      what: 'No initialised token found in any module.',
      fix: 'Plug in your token, or initialise one with `signet token init --module PATH --free --label NAME`.',
    },
    ready: {
      what: 'Token “{{label}}” (serial {{serial}}, {{model}}) in {{module}}: initialised, user PIN set, no failed PIN tries.',
    },
    empty: {
      what: 'Slot {{slot}} of {{module}} holds a token that is not initialised (free for `signet token init`).',
    },
    unreadable: {
      what: 'The token in slot {{slot}} of {{module}} cannot be read: {{reason}}.',
      fix: 'Take the token out and put it back; if that does not help, the token or its reader is faulty.',
    },
    noUserPin: {
      what: 'Token “{{label}}” has no user PIN yet.',
      fix: "Set one with the SO PIN: `signet pin unblock --token '{{uri}}'` (or Devices → Unblock PIN).",
    },
    userPinCountLow: {
      what: 'A wrong user PIN was entered on “{{label}}”: the token reports few tries left.',
      fix: "Log in once with the right PIN to reset the count; if you are not sure of it, unblock it with the SO PIN instead of guessing (`signet pin unblock --token '{{uri}}'`).",
    },
    userPinFinalTry: {
      what: 'Token “{{label}}” has one user PIN try left: the next wrong PIN locks it.',
      fix: "Do not guess: if you are not sure of the PIN, unblock it with the SO PIN (`signet pin unblock --token '{{uri}}'`).",
    },
    userPinLocked: {
      what: 'The user PIN of “{{label}}” is locked: its keys cannot sign.',
      fix: "Unblock it with the SO PIN: `signet pin unblock --token '{{uri}}'` (or Devices → Unblock PIN).",
    },
    userPinToBeChanged: {
      what: 'Token “{{label}}” asks for its user PIN to be changed before use.',
      fix: "Change it: `signet pin change --token '{{uri}}'` (or Devices → Change PIN).",
    },
    soPinCountLow: {
      what: 'A wrong SO PIN was entered on “{{label}}”: the token reports few SO PIN tries left.',
      fix: 'Find the right SO PIN before trying again: a locked SO PIN can no longer unblock the user PIN.',
    },
    soPinFinalTry: {
      what: 'Token “{{label}}” has one SO PIN try left: the next wrong SO PIN locks it.',
      fix: 'Try again only with an SO PIN you are sure of: a locked SO PIN can no longer unblock the user PIN.',
    },
    soPinLocked: {
      what: 'The SO PIN of “{{label}}” is locked: its user PIN can no longer be unblocked.',
      fix: 'Keep the user PIN safe; only initialising the token again (which erases its keys) gives it a new SO PIN.',
    },
    soPinToBeChanged: {
      what: 'Token “{{label}}” asks for its SO PIN to be changed.',
      fix: 'Change it with the token maker’s tool, e.g. `pkcs11-tool --module {{modulePath}} --login --login-type so --change-pin`.',
    },
    writeProtected: {
      what: 'Token “{{label}}” is write-protected: no key can be made on it and its PIN cannot be changed.',
      fix: 'Nothing to do if that is intended; otherwise check the token’s write-protect switch or policy.',
    },
    cannotSign: {
      what: 'Token “{{label}}” offers neither ECDSA nor EdDSA signing: Signet cannot sign with it.',
      fix: 'Use a token that supports CKM_ECDSA (secp256k1 or P-256 keys) or CKM_EDDSA.',
    },
  },
  ledger: {
    none: {
      what: 'No ledger selected.',
      fix: 'Run `signet ledger up` for the dev ledger, or `signet ledger use FILE` for a network.',
    },
    invalid: {
      what: 'The ledger profile cannot be used: {{reason}}.',
      fix: 'Fix {{path}}, or select another profile with `signet ledger use FILE`.',
    },
    profile: {
      what: 'Ledger “{{name}}”: chain {{chainId}}, {{nodes}} node(s), {{confirmations}} confirmation(s).',
    },
    quorum: {
      what: '{{answering}} of {{nodes}} node(s) answer on chain {{chainId}}; {{quorum}} must agree to confirm a transaction.',
    },
    noQuorum: {
      what: 'Only {{answering}} of {{nodes}} node(s) answer on chain {{chainId}}, and {{quorum}} must agree to confirm a transaction: until then Signet leaves transactions unconfirmed.',
      fix: 'Bring back the nodes that do not answer, or select a profile that lists only nodes you can reach (`signet ledger use FILE`).',
    },
  },
  node: {
    up: {
      what: 'Node {{url}} is up at block {{head}} ({{latencyMs}} ms).',
    },
    down: {
      what: 'Node {{url}} does not answer: {{reason}}.',
      fix: 'Check that the node runs and that this machine can reach it (address, network, firewall, credentials).',
    },
    wrongChain: {
      what: 'Node {{url}} is on another chain ({{reason}}).',
      fix: 'Point the profile at nodes of chain {{chainId}}, or select the profile of the chain this node serves.',
    },
    behind: {
      what: 'Node {{url}} is at block {{head}}, {{lag}} blocks behind the others (block {{anchor}}).',
      fix: 'Check the node’s peers and sync; until it catches up, Signet asks the other nodes first.',
    },
    disagreeing: {
      what: 'Node {{url}} disagrees with the other nodes on {{method}}: it said {{said}}, the majority {{majority}}.',
      fix: 'The node may be on a fork or misconfigured: check it; Signet avoids it until it agrees again.',
    },
  },
  data: {
    missing: {
      what: 'No data folder yet ({{path}}): Signet makes it, readable by you only, when first used.',
    },
    private: {
      what: 'The data folder {{path}} and Signet’s {{entries}} files in it are readable by you only.',
    },
    notFolder: {
      what: '{{path}} is not a folder.',
      fix: 'Move it out of the way, or set SIGNET_HOME to a folder of your own.',
    },
    notOwner: {
      what: '{{path}} belongs to user {{owner}}, not to you (user {{uid}}).',
      fix: 'Run Signet as that user, or give the folder back to yourself: `chown -R {{uid}} {{home}}`.',
    },
    open: {
      what: '{{path}} can be read by others (mode {{mode}}), and Signet keeps node credentials, the outbox and the audit log in its data folder.',
      fix: 'Close it: `chmod {{want}} {{path}}`.',
    },
    unreadable: {
      what: '{{path}} cannot be inspected: {{reason}}.',
      fix: 'Check the folder’s owner and mode: Signet’s data folder must be yours and readable by you only.',
    },
    unchecked: {
      what: 'File modes of {{path}} are not checked on {{os}}.',
    },
  },
  config: {
    invalid: {
      what: 'The config file {{path}} cannot be used: {{reason}}.',
      fix: 'Fix it (for example {"modules": ["/path/to/module.so"]}) or remove it.',
    },
  },
  store: {
    missing: {
      what: 'No store yet ({{path}}): Signet makes it when first used.',
    },
    current: {
      what: 'Store {{path}}: schema version {{version}} (current), integrity check passed.',
    },
    older: {
      what: 'Store {{path}}: schema version {{version}}, which this Signet upgrades to {{known}} when it next opens it; integrity check passed.',
    },
    newer: {
      what: 'Store {{path}} has schema version {{version}}, newer than this Signet knows ({{known}}).',
      fix: 'Update Signet: an older Signet does not open a newer store.',
    },
    unreadable: {
      what: 'The store {{path}} cannot be read: {{reason}}.',
      fix: 'Check the file’s owner and mode; if it is damaged, restore signet.sqlite from a backup (it holds the outbox and the audit log).',
    },
    damaged: {
      what: 'The store {{path}} is damaged: {{reason}}.',
      fix: 'Stop every Signet process and restore signet.sqlite from a backup; `sqlite3 signet.sqlite .recover` saves what is left.',
    },
  },
  lock: {
    syncFree: {
      what: 'No Signet process is syncing this data folder.',
    },
    syncHeld: {
      what: '{{purpose}} (pid {{pid}} on {{host}}) is syncing this data folder, since {{since}}.',
    },
    syncStuck: {
      what: '{{purpose}} (pid {{pid}} on {{host}}) has held the sync lock since {{since}}, over {{minutes}} minutes.',
      fix: 'If that sync hangs, stop that process (pid {{pid}}): the lock is freed when it ends.',
    },
    syncStale: {
      what: 'The sync lock was left by pid {{pid}} on {{host}}, which has ended: the next sync takes it over.',
    },
    appFree: {
      what: 'No Signet app (npm start, signet ledger up) runs on this data folder.',
    },
    appHeld: {
      what: '{{purpose}} (pid {{pid}} on {{host}}) runs on this data folder, since {{since}}.',
    },
    appStale: {
      what: 'The app lock was left by pid {{pid}} on {{host}}, which has ended: the next start takes it over.',
    },
  },
  /** Ledgers over USB HID (core/diagnostics/hid-check.ts). */
  hid: {
    unavailable: {
      what: 'USB HID devices cannot be listed, so no Ledger can be seen: {{reason}}.',
      fix: 'If you use a Ledger, reinstall Signet (its node-hid module is missing or built for another version); if you do not, nothing needs doing.',
    },
    none: {
      what: 'No Ledger is plugged in.',
    },
    ready: {
      what: '{{product}} at {{path}}: the {{app}} app {{version}} is open, device id {{deviceId}}.',
    },
    deviceLocked: {
      what: '{{product}} at {{path}} is locked: the app open on it and its device id cannot be read.',
      fix: 'Unlock it with its PIN on the device, then open its Ethereum app.',
    },
    dashboard: {
      what: '{{product}} at {{path}} shows its dashboard: no app is open, so its device id cannot be read.',
      fix: 'Open the Ethereum app on the device.',
    },
    otherApp: {
      what: '{{product}} at {{path}} has the {{app}} app open, not the Ethereum app.',
      fix: 'Quit {{app}} on the device and open the Ethereum app.',
    },
    unidentified: {
      what: '{{product}} at {{path}} opens, but its device id cannot be read: {{reason}}.',
      fix: 'Unplug it and plug it in again, unlock it and open its Ethereum app, then run the doctor again.',
    },
    accessDenied: {
      what: 'Signet may not open {{product}} at {{path}} (permission denied).',
      fix: 'Install Signet’s udev rules: `{{command}}`, then plug the Ledger in again.',
    },
    accessDeniedRulesInstalled: {
      what: 'Signet may not open {{product}} at {{path}} (permission denied), although its udev rules are installed ({{rules}}).',
      fix: 'Apply them with `{{command}}` and plug the Ledger in again (over SSH, the rules give access only to the user at the machine’s screen).',
    },
    busy: {
      what: '{{product}} at {{path}} is busy: it is open in {{holders}}.',
      fix: 'Close it there (or quit that program), then try again.',
    },
    busyUnknown: {
      what: '{{product}} at {{path}} is busy: another program may be using it.',
      fix: 'Close the program using it (often {{suspects}}), then try again.',
    },
    busyHere: {
      what: '{{product}} at {{path}} is waiting for an answer to a request from Signet.',
      fix: 'Approve or refuse the request on the device.',
    },
    gone: {
      what: '{{product}} at {{path}} was unplugged while the doctor looked at it.',
      fix: 'Plug it in again and run the doctor again.',
    },
    openFailed: {
      what: '{{product}} at {{path}} cannot be opened: {{reason}}.',
      fix: 'Unplug it and plug it in again; if that does not help, try another USB port or cable.',
    },
    udevRules: {
      what: 'Signet’s udev rules are installed ({{path}}): the user at the machine’s screen may open a Ledger.',
    },
    udevRulesNotNeeded: {
      what: 'Signet’s udev rules ({{file}}) are not installed, but every Ledger plugged in can be opened (other rules or permissions allow it).',
    },
    noUdevRules: {
      what: 'Signet’s udev rules ({{file}}) are not installed: without them (or Ledger’s own), only root may open a Ledger on Linux.',
      fix: 'Install them: `{{command}}`.',
    },
  },
  /** The dictionary-attack lockout of the TPM behind a TPM token (native/tpm/lockout.ts). */
  tpm: {
    clear: {
      what: 'TPM token “{{label}}” in {{module}}: the TPM counts no wrong PIN; it locks after {{maxFailures}}.',
    },
    counting: {
      what: 'The TPM of token “{{label}}” has counted {{failures}} wrong PIN(s): {{triesLeft}} of {{maxFailures}} tries left before it locks; it forgives one every {{minutes}} min.',
      fix: 'Type a PIN only when you are sure of it: wrong PINs on any of this TPM’s tokens count together.',
    },
    countingForGood: {
      what: 'The TPM of token “{{label}}” has counted {{failures}} wrong PIN(s): {{triesLeft}} of {{maxFailures}} tries left before it locks, and it forgives none by itself.',
      fix: 'Type a PIN only when you are sure of it; the TPM’s owner can reset the count with `tpm2_dictionarylockout --clear-lockout`.',
    },
    locked: {
      what: 'The TPM of token “{{label}}” is locked after too many wrong PINs: it tries no PIN, so its keys cannot sign.',
      fix: 'Wait at most {{minutes}} min, then type the right PIN once; the TPM’s owner can end the lockout at once with `tpm2_dictionarylockout --clear-lockout`.',
    },
    lockedForGood: {
      what: 'The TPM of token “{{label}}” is locked after too many wrong PINs and does not unlock by itself: its keys cannot sign.',
      fix: 'The TPM’s owner must clear the lockout: `tpm2_dictionarylockout --clear-lockout` (with the lockout authorisation, if one is set).',
    },
    unknown: {
      what: 'How many wrong PINs the TPM of token “{{label}}” has counted cannot be read: {{reason}}.',
      fix: 'Install tpm2-tools (`apt-get install tpm2-tools`) and check that the TPM answers: `tpm2_getcap properties-variable`.',
    },
  },
  check: {
    crashed: {
      what: 'The {{check}} check could not run: {{reason}}.',
      fix: 'Run the doctor again; if this repeats, send this report to Signet’s support.',
    },
  },
} as const satisfies Record<string, Record<string, { what: string; fix?: string }>>;

type Texts = typeof findingTexts;
/** A kind of finding: "group.name" of findingTexts. */
export type FindingCode = {
  [G in keyof Texts]: `${G & string}.${keyof Texts[G] & string}`;
}[keyof Texts];

export const findingSchema = z
  .object({
    area: findingAreaSchema,
    status: findingStatusSchema,
    code: z.string().regex(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/, 'group.name'),
    /** What was found, in one sentence. */
    what: z.string().min(1).max(8_192),
    /** How to fix it, in one sentence: warnings and failures only. */
    fix: z.string().min(1).max(8_192).optional(),
    facts: findingFactsSchema,
  })
  .strict();
export type Finding = z.infer<typeof findingSchema>;

/**
 * `signet doctor --json`. `format` changes only when a field changes meaning or
 * goes away; new fields and new codes may appear within a format.
 */
export const doctorReportSchema = z
  .object({
    format: z.literal(1),
    createdAt: z.string(),
    durationMs: z.number().int().nonnegative(),
    /** The data directory looked at. */
    home: z.string(),
    platform: z.object({ os: z.string(), arch: z.string(), node: z.string() }).strict(),
    summary: z
      .object({
        ok: z.number().int().nonnegative(),
        warn: z.number().int().nonnegative(),
        fail: z.number().int().nonnegative(),
      })
      .strict(),
    findings: z.array(findingSchema).max(4_096),
  })
  .strict();
export type DoctorReport = z.infer<typeof doctorReportSchema>;

export const diagnosticsRequests = {
  /** Looks at modules, tokens, nodes, the data folder and its locks, and Ledgers; changes nothing. */
  'doctor.run': z.object({}),
} as const;

export const diagnosticsResults = {
  'doctor.run': doctorReportSchema,
} as const;

/** The text of `code` with its {{facts}} filled in; a fact it lacks stays as {{name}}. */
export function fillFindingText(template: string, facts: FindingFacts): string {
  return template.replace(/\{\{(\w+)\}\}/g, (whole, name: string) =>
    Object.hasOwn(facts, name) ? String(facts[name]) : whole,
  );
}

/** The English what and fix of a kind of finding. */
export function findingText(code: FindingCode): { what: string; fix?: string } {
  const [group, name] = code.split('.') as [keyof Texts, string];
  return (findingTexts[group] as Record<string, { what: string; fix?: string }>)[name]!;
}
