/**
 * The first SIGINT (Ctrl-C) or SIGTERM, as a promise, for a command that runs
 * until stopped (`ledger up`, `sync --watch`): it then stops what it started,
 * where the default action would kill the process and leave that running.
 */
export function stopSignal(): { received: Promise<void>; dispose(): void } {
  let dispose = () => {};
  const received = new Promise<void>((resolve) => {
    const onSignal = () => {
      dispose();
      resolve();
    };
    dispose = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return { received, dispose };
}
