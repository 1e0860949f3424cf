// Hardhat Network for Signet's embedded dev ledger. Contracts are compiled by
// ledger/compile.ts (solc from npm), not by Hardhat, so no compiler is configured.
module.exports = {
  networks: {
    hardhat: {
      chainId: 31337,
      hardfork: 'cancun',
      mining: { auto: true },
      accounts: {
        mnemonic: 'test test test test test test test test test test test junk',
        count: 4,
      },
    },
  },
};
