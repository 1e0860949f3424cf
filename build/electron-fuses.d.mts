/** Types of build/electron-fuses.mjs (see there). */
export declare const electronFuses: Readonly<{
  RunAsNode: boolean;
  EnableCookieEncryption: boolean;
  EnableNodeOptionsEnvironmentVariable: boolean;
  EnableNodeCliInspectArguments: boolean;
  EnableEmbeddedAsarIntegrityValidation: boolean;
  OnlyLoadAppFromAsar: boolean;
  LoadBrowserProcessSpecificV8Snapshot: boolean;
  GrantFileProtocolExtraPrivileges: boolean;
}>;
