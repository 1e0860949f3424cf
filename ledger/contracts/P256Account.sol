// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Clones} from "@openzeppelin/contracts/proxy/Clones.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {P256} from "@openzeppelin/contracts/utils/cryptography/P256.sol";

/**
 * @title Signet P-256 account
 * @notice An account on the ledger for a key that can only sign P-256 (a TPM, many smart
 * cards): its address holds money and notes like any other, and it does what its key has
 * signed, whoever carries the transaction. One account per key: the factory deploys it as a
 * minimal clone whose code carries the public key (qx, qy), at a CREATE2 address that depends
 * only on the factory, the implementation and the key, so a wallet knows the address offline.
 *
 * The key signs EIP-712 typed data under this account's own domain (name, version, chain id,
 * this address): an `Execute` for a call, a `Message` for anything an EIP-1271 verifier (a
 * Safe, the note contract) asks about. So a signature is good for one account on one chain
 * only. `Execute` carries a nonce that must be the account's next one, and a deadline.
 * Signatures are 64 bytes r‖s with a low s (OpenZeppelin's P256 refuses s > n/2).
 *
 * @dev Verification uses the RIP-7212 precompile where a chain has it, else OpenZeppelin's
 * Solidity implementation (the dev ledger has no precompile).
 */
contract P256Account is EIP712 {
    bytes32 public constant EXECUTE_TYPEHASH =
        keccak256("Execute(address target,uint256 value,bytes data,uint256 nonce,uint256 deadline)");
    bytes32 public constant MESSAGE_TYPEHASH = keccak256("Message(bytes32 hash)");

    /// @dev EIP-1271 isValidSignature(bytes32,bytes), and the legacy isValidSignature(bytes,bytes)
    /// that Safe 1.4.1 calls for a contract owner's signature.
    bytes4 private constant ERC1271_MAGIC = 0x1626ba7e;
    bytes4 private constant LEGACY_MAGIC = 0x20c13b0b;
    bytes4 private constant NOT_VALID = 0xffffffff;

    /// @notice The nonce the next `execute` must carry: how many calls this account has made.
    uint256 public nonce;

    event Executed(uint256 indexed nonce, address indexed target, uint256 value, bytes32 digest);

    /// @dev Called on the implementation, which is not anybody's account.
    error NotAnAccount();
    error WrongNonce(uint256 expected, uint256 given);
    error Expired(uint256 deadline);
    error InvalidSignature();

    constructor() EIP712("Signet P256Account", "1") {}

    /// @notice Money sent in plain (the chain's coin) is kept.
    receive() external payable {}

    /// @notice The account's key, read from its own code (the clone's immutable arguments).
    function publicKey() public view returns (bytes32 qx, bytes32 qy) {
        // The implementation's own code is far longer than a clone's 45 bytes + 64.
        if (address(this).code.length != 0x2d + 64) revert NotAnAccount();
        (qx, qy) = abi.decode(Clones.fetchCloneArgs(address(this)), (bytes32, bytes32));
    }

    /// @notice The EIP-712 digest the key signs for `execute` (what a wallet computes offline).
    function executeDigest(
        address target,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline
    ) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(EXECUTE_TYPEHASH, target, value, keccak256(data), nonce_, deadline))
            );
    }

    /// @notice The EIP-712 digest the key signs to vouch for `hash` (EIP-1271).
    function messageDigest(bytes32 hash) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(MESSAGE_TYPEHASH, hash)));
    }

    /**
     * @notice Calls `target` with `value` and `data` as this account, if the key signed exactly
     * that with this nonce and the deadline has not passed. Anyone may carry it (pay its gas).
     * A failing call reverts the whole transaction with the call's own error, nonce untouched.
     */
    function execute(
        address target,
        uint256 value,
        bytes calldata data,
        uint256 nonce_,
        uint256 deadline,
        bytes32 r,
        bytes32 s
    ) external returns (bytes memory result) {
        if (block.timestamp > deadline) revert Expired(deadline);
        if (nonce_ != nonce) revert WrongNonce(nonce, nonce_);
        bytes32 digest = executeDigest(target, value, data, nonce_, deadline);
        (bytes32 qx, bytes32 qy) = publicKey();
        if (!P256.verify(digest, r, s, qx, qy)) revert InvalidSignature();
        // Used before the call: a call back into this account cannot reuse the signature.
        nonce = nonce_ + 1;
        emit Executed(nonce_, target, value, digest);
        bool ok;
        (ok, result) = target.call{value: value}(data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    /// @notice EIP-1271: whether the key vouched for `hash` (a 64-byte r‖s over messageDigest(hash)).
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        return _vouchedFor(hash, signature) ? ERC1271_MAGIC : NOT_VALID;
    }

    /// @notice The legacy form Safe 1.4.1 calls with the Safe transaction's EIP-712 preimage:
    /// the key vouches for keccak256(data), the Safe transaction hash.
    function isValidSignature(bytes calldata data, bytes calldata signature) external view returns (bytes4) {
        return _vouchedFor(keccak256(data), signature) ? LEGACY_MAGIC : NOT_VALID;
    }

    /// @notice Notes (ERC-721 / ERC-3525 tokens) may be sent here.
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC721Received.selector;
    }

    function onERC3525Received(address, uint256, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return this.onERC3525Received.selector;
    }

    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return
            interfaceId == 0x01ffc9a7 || // ERC-165
            interfaceId == 0x150b7a02 || // ERC-721 receiver
            interfaceId == 0x009ce20b || // ERC-3525 receiver
            interfaceId == 0x1626ba7e; // ERC-1271
    }

    function _vouchedFor(bytes32 hash, bytes calldata signature) private view returns (bool) {
        if (signature.length != 64) return false;
        (bytes32 qx, bytes32 qy) = publicKey();
        return P256.verify(messageDigest(hash), bytes32(signature[0:32]), bytes32(signature[32:64]), qx, qy);
    }
}

/**
 * @title Signet P-256 account factory
 * @notice Deploys one P256Account per public key, at an address anyone can compute from the
 * key: `accountAddress(qx, qy)`. `createAccountAndExecute` is how a wallet carries an account's
 * operation: it deploys the account first when it does not exist yet, so the wallet never needs
 * to know offline whether an earlier operation (perhaps still waiting to be sent) deployed it,
 * and a call never lands on an address without code (where it would "succeed" doing nothing).
 */
contract P256AccountFactory {
    /// @notice The code every account runs; created by this factory's constructor, so its
    /// address is the factory's first CREATE (nonce 1) and a wallet can derive it offline.
    address public immutable implementation;

    event AccountCreated(address indexed account, bytes32 qx, bytes32 qy);

    error InvalidPublicKey(bytes32 qx, bytes32 qy);

    constructor() {
        implementation = address(new P256Account());
    }

    /// @notice Where the account of key (qx, qy) is, or will be once created.
    function accountAddress(bytes32 qx, bytes32 qy) public view returns (address) {
        return Clones.predictDeterministicAddressWithImmutableArgs(implementation, abi.encode(qx, qy), bytes32(0));
    }

    /// @notice Deploys the account of (qx, qy) unless it exists; returns its address either way.
    function createAccount(bytes32 qx, bytes32 qy) public returns (address account) {
        account = accountAddress(qx, qy);
        if (account.code.length == 0) {
            if (!P256.isValidPublicKey(qx, qy)) revert InvalidPublicKey(qx, qy);
            Clones.cloneDeterministicWithImmutableArgs(implementation, abi.encode(qx, qy), bytes32(0));
            emit AccountCreated(account, qx, qy);
        }
    }

    /// @notice createAccount, then the account's `execute` with the key's signature.
    function createAccountAndExecute(
        bytes32 qx,
        bytes32 qy,
        address target,
        uint256 value,
        bytes calldata data,
        uint256 nonce,
        uint256 deadline,
        bytes32 r,
        bytes32 s
    ) external returns (bytes memory) {
        return P256Account(payable(createAccount(qx, qy))).execute(target, value, data, nonce, deadline, r, s);
    }

    /// @notice An account's next nonce; 0 for one not deployed yet.
    function nonceOf(address account) external view returns (uint256) {
        return account.code.length == 0 ? 0 : P256Account(payable(account)).nonce();
    }
}
