// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice What the purse contract needs of the digital currency (ledger/contracts/DigitalCurrency.sol).
interface IPurseCurrency {
    function OPERATOR_ROLE() external view returns (bytes32);
    function hasRole(bytes32 role, address account) external view returns (bool);
    function isRegistered(address account) external view returns (bool);
    function isFrozen(address account) external view returns (bool);
    function operatorOf(address account) external view returns (address);
    function transfer(address to, uint256 value) external returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function transferBatch(address[] calldata to, uint256[] calldata amounts) external;
    function freezeForFraud(address account) external;
}

/**
 * @title Signet offline purse (issue 13)
 * @notice Offline digital cash. A holder locks money into a purse bound to a fresh key on
 * their token (the purse key), on terms within their operator bank's purse policy; only then
 * does the operator certify it (EIP-712 PurseCertificate with exactly the on-chain terms,
 * signed by a certificate key the operator lists here), so no certificate names money that
 * is not locked. Offline, the purse key signs vouchers
 * (EIP-712 Voucher): each claims the range [cumulative − amount, cumulative) of the locked
 * money and names the voucher before it. Anyone settles vouchers here, in batches, each paid
 * exactly once. Two vouchers of one purse that overlap, share a counter or fork the chain prove
 * fraud: the purse and its owner's account freeze, and honest payees are paid from the purse,
 * then from the operator's guarantee pool. The owner withdraws what no voucher claimed only
 * after the certificate's validity plus a grace period.
 * @dev The EIP-712 structs are field for field core/purse/typed-data.ts (the wire format).
 * Gas: settlement keeps one 128-bit tag (the top half of the voucher hash) per counter, two
 * counters per storage slot, writes each purse's totals once per run of its vouchers, and pays
 * all payees of a batch in one transferBatch (one transfer per distinct payee).
 * This contract must hold SYSTEM_CONTRACT_ROLE in the currency: it holds money, pulls the
 * locked amount with transferFrom, and freezes defrauders.
 */
contract OfflinePurse is EIP712 {
    struct PurseCertificate {
        address purse;
        address owner;
        uint256 locked;
        uint256 cap;
        uint32 maxCount;
        uint64 validFrom;
        uint64 validUntil;
        address operator;
        uint32 epoch;
    }

    /// @notice What the holder opens: the certificate's fields without the operator, which
    /// is the owner's operator in the currency.
    struct PurseTerms {
        address purse;
        address owner;
        uint256 locked;
        uint256 cap;
        uint32 maxCount;
        uint64 validFrom;
        uint64 validUntil;
        uint32 epoch;
    }

    /// @notice The largest purse an operator will certify. No policy (maxCount 0): no purse opens.
    struct PursePolicy {
        uint256 maxLocked;
        uint256 maxCap;
        uint32 maxCount;
        uint64 maxValidity;
    }

    struct Voucher {
        address purse;
        uint32 epoch;
        address payee;
        uint256 amount;
        uint32 counter;
        uint256 cumulative;
        bytes32 prevVoucherHash;
        uint64 issuedAt;
    }

    /// @notice A purse as the views return it (amounts widened to uint256).
    struct PurseState {
        address owner;
        address operator;
        uint256 locked;
        uint256 cap;
        uint32 maxCount;
        uint64 validFrom;
        uint64 validUntil;
        uint32 epoch;
        uint256 paid;
        uint256 fromGuarantee;
        bool frozen;
        bool closed;
    }

    /// @notice Why settle did not pay a voucher (VoucherRejected.reason).
    enum Rejection {
        None,
        UnknownPurse, // 1: no purse was opened at voucher.purse
        PurseClosed, // 2: its owner closed it (after the thaw window)
        BadSignature, // 3: not signed by the purse key
        WrongEpoch, // 4: voucher.epoch is not the purse's
        BadCounter, // 5: counter outside 1..maxCount
        BadAmount, // 6: amount 0 or over the cap
        BadCumulative, // 7: amount > cumulative, or cumulative > locked
        OutsideValidity, // 8: issuedAt outside [validFrom, validUntil]
        PayeeInactive, // 9: payee not registered in the currency, or frozen (retriable later), or this contract
        GuaranteeShort, // 10: fraud overflow the operator's pool cannot cover yet (retriable later)
        ExposureExceeded // 11: the purse was paid maxCount × cap in all (the certified exposure)
    }

    bytes32 public constant PURSE_CERTIFICATE_TYPEHASH =
        keccak256(
            "PurseCertificate(address purse,address owner,uint256 locked,uint256 cap,uint32 maxCount,uint64 validFrom,uint64 validUntil,address operator,uint32 epoch)"
        );
    bytes32 public constant VOUCHER_TYPEHASH =
        keccak256(
            "Voucher(address purse,uint32 epoch,address payee,uint256 amount,uint32 counter,uint256 cumulative,bytes32 prevVoucherHash,uint64 issuedAt)"
        );

    IPurseCurrency public immutable currency;
    bytes32 private immutable _operatorRole;
    uint64 private immutable _grace;

    /// @dev Packed into four slots; amounts fit 128 bits (open refuses more).
    struct Purse {
        address owner;
        uint64 validFrom;
        uint32 epoch;
        address operator;
        uint64 validUntil;
        uint32 maxCount;
        uint128 locked;
        uint128 cap;
        uint128 paid; // from the purse's own locked money
        uint112 fromGuarantee; // from the operator's pool (fraud only)
        bool frozen;
        bool closed;
    }

    mapping(address purse => Purse) private _purses;
    /// @dev Exactly once, by counter: slot (counter >> 1) holds the 128-bit tags of counters
    /// 2k (low half) and 2k+1 (high half). A zero tag is a counter not yet settled.
    mapping(address purse => mapping(uint256 pair => uint256 tags)) private _settledTags;
    /// @dev A second, different voucher at a counter already settled (fraud only), by full hash.
    mapping(bytes32 voucherHash => bool) private _settledConflicting;
    mapping(address key => address operator) private _certificateKeyOperator;
    mapping(address owner => uint32) private _epochOf;
    mapping(address owner => bool) private _defrauder;
    mapping(address operator => uint256) private _guarantee;
    mapping(address operator => PursePolicy) private _policy;

    event CertificateKeySet(address indexed operator, address indexed key, bool listed);
    event PurseOpened(
        address indexed purse,
        address indexed owner,
        address indexed operator,
        uint32 epoch,
        uint256 locked,
        uint64 validUntil
    );
    event VoucherSettled(
        address indexed purse,
        bytes32 indexed voucherHash,
        address indexed payee,
        uint256 amount,
        uint256 fromGuarantee
    );
    event VoucherRejected(address indexed purse, bytes32 indexed voucherHash, uint8 reason);
    /// @notice `a` and `b` are the two vouchers' hashes. Detected at settle: `b` is the voucher
    /// being settled, `a` the 128-bit tag of the one already settled at its counter (left-aligned),
    /// or zero when its counter was free but paying it from the purse would overflow the locked
    /// amount (so it overlaps vouchers already paid).
    event FraudProven(address indexed purse, address indexed owner, bytes32 a, bytes32 b);
    event GuaranteeDeposited(address indexed operator, uint256 amount);
    event PursePolicySet(address indexed operator, uint256 maxLocked, uint256 maxCap, uint32 maxCount, uint64 maxValidity);
    event PurseClosed(address indexed purse, address indexed owner, uint256 refunded);

    error NotAnOperator(address account);
    error CertificateKeyOfAnotherOperator(address key, address operator);
    error NotCurrency(address caller);
    error NotPurseOwner(address caller, address owner);
    error OwnerNotActive(address owner);
    error WrongEpoch(uint32 expected, uint32 given);
    error PurseExists(address purse);
    error InvalidTerms();
    error OutsidePolicy(address operator);
    error UnknownPurse(address purse);
    error PurseIsFrozen(address purse);
    error PurseIsClosed(address purse);
    error NotThawed(address purse, uint256 thawsAt);
    error NotFraud();
    error LengthMismatch(uint256 vouchers, uint256 signatures);

    constructor(address currency_, uint64 graceSeconds) EIP712("Signet Offline Purse", "1") {
        currency = IPurseCurrency(currency_);
        _operatorRole = IPurseCurrency(currency_).OPERATOR_ROLE();
        _grace = graceSeconds;
    }

    modifier onlyOperator() {
        if (!currency.hasRole(_operatorRole, msg.sender)) revert NotAnOperator(msg.sender);
        _;
    }

    // ----------------------------------------------------------------------------------
    // Operators: certificate keys and guarantee pools
    // ----------------------------------------------------------------------------------

    /// @notice An operator lists (or unlists) a key that signs its purse certificates.
    function setCertificateKey(address key, bool listed) external onlyOperator {
        address current = _certificateKeyOperator[key];
        if (current != address(0) && current != msg.sender) revert CertificateKeyOfAnotherOperator(key, current);
        _certificateKeyOperator[key] = listed ? msg.sender : address(0);
        emit CertificateKeySet(msg.sender, key, listed);
    }

    /// @notice The operator a certificate key signs for; zero when unlisted.
    function certificateKeyOperator(address key) external view returns (address) {
        return _certificateKeyOperator[key];
    }

    /// @notice An operator adds to its guarantee pool (approve first), which pays honest
    /// payees of its customers' purses when fraud overdraws a purse.
    function depositGuarantee(uint256 amount) external onlyOperator {
        _guarantee[msg.sender] += amount;
        currency.transferFrom(msg.sender, address(this), amount);
        emit GuaranteeDeposited(msg.sender, amount);
    }

    function guaranteeOf(address operator) external view returns (uint256) {
        return _guarantee[operator];
    }

    /// @notice An operator sets the largest purse its customers may open (all zero: none).
    /// It certifies every purse opened within it, so this bounds what it vouches for.
    function setPursePolicy(
        uint256 maxLocked,
        uint256 maxCap,
        uint32 maxCount,
        uint64 maxValidity
    ) external onlyOperator {
        _policy[msg.sender] = PursePolicy(maxLocked, maxCap, maxCount, maxValidity);
        emit PursePolicySet(msg.sender, maxLocked, maxCap, maxCount, maxValidity);
    }

    function pursePolicyOf(address operator) external view returns (PursePolicy memory) {
        return _policy[operator];
    }

    // ----------------------------------------------------------------------------------
    // Open
    // ----------------------------------------------------------------------------------

    /**
     * @notice The owner locks `terms.locked` into a new purse (approve the amount to this
     * contract first), within its operator's purse policy; the operator then certifies it.
     * Each open uses the owner's next epoch.
     */
    function open(PurseTerms calldata terms) external {
        if (msg.sender != terms.owner) revert NotPurseOwner(msg.sender, terms.owner);
        address operator = currency.operatorOf(terms.owner);
        if (operator == address(0) || currency.isFrozen(terms.owner)) revert OwnerNotActive(terms.owner);
        if (!currency.hasRole(_operatorRole, operator)) revert NotAnOperator(operator);
        uint32 epoch = _epochOf[terms.owner];
        if (terms.epoch != epoch) revert WrongEpoch(epoch, terms.epoch);
        if (terms.purse == address(0) || _purses[terms.purse].owner != address(0)) revert PurseExists(terms.purse);
        if (
            terms.validFrom >= terms.validUntil ||
            terms.cap == 0 ||
            terms.cap > terms.locked ||
            terms.maxCount == 0 ||
            terms.locked > type(uint112).max
        ) revert InvalidTerms();
        // No policy (all zero) refuses every purse: maxCount ≥ 1 exceeds it.
        PursePolicy memory policy = _policy[operator];
        if (
            terms.locked > policy.maxLocked ||
            terms.cap > policy.maxCap ||
            terms.maxCount > policy.maxCount ||
            terms.validUntil - terms.validFrom > policy.maxValidity
        ) revert OutsidePolicy(operator);

        _epochOf[terms.owner] = epoch + 1;
        _purses[terms.purse] = Purse({
            owner: terms.owner,
            validFrom: terms.validFrom,
            epoch: terms.epoch,
            operator: operator,
            validUntil: terms.validUntil,
            maxCount: terms.maxCount,
            locked: uint128(terms.locked),
            cap: uint128(terms.cap),
            paid: 0,
            fromGuarantee: 0,
            frozen: false,
            closed: false
        });
        currency.transferFrom(terms.owner, address(this), terms.locked);
        emit PurseOpened(terms.purse, terms.owner, operator, terms.epoch, terms.locked, terms.validUntil);
    }

    // ----------------------------------------------------------------------------------
    // Settle
    // ----------------------------------------------------------------------------------

    /// @dev One batch's working state, in memory (keeps the loop's stack small).
    struct Batch {
        address purseKey; // the purse whose totals are loaded below (zero: none yet)
        Purse purse;
        bool dirty;
        address[] payees;
        uint256[] totals;
        uint256 payeeCount;
        // Owners caught defrauding in this batch: frozen in the currency after the payout, so a
        // defrauder who is also a payee in the batch cannot make the whole batch revert.
        address[] defrauders;
        uint256 defrauderCount;
    }

    /**
     * @notice Anyone submits vouchers with their purse-key signatures. Each valid voucher not
     * yet settled is paid exactly once; a bad one is rejected (VoucherRejected) without
     * stopping the others; one already settled is skipped and changes nothing.
     */
    function settle(Voucher[] calldata vouchers, bytes[] calldata signatures) external {
        if (vouchers.length != signatures.length) revert LengthMismatch(vouchers.length, signatures.length);
        Batch memory batch;
        batch.payees = new address[](vouchers.length);
        batch.totals = new uint256[](vouchers.length);
        for (uint256 i = 0; i < vouchers.length; ++i) {
            _settleOne(batch, vouchers[i], signatures[i]);
        }
        _flush(batch);
        _payOut(batch);
        for (uint256 i = 0; i < batch.defrauderCount; ++i) {
            currency.freezeForFraud(batch.defrauders[i]);
        }
    }

    function _settleOne(Batch memory batch, Voucher calldata v, bytes calldata signature) private {
        bytes32 hash = _hashTypedDataV4(_voucherStructHash(v));
        if (v.purse != batch.purseKey) {
            _flush(batch);
            batch.purseKey = v.purse;
            batch.purse = _purses[v.purse];
        }
        Purse memory p = batch.purse;
        Rejection why = _check(p, v, hash, signature);
        if (why != Rejection.None) {
            emit VoucherRejected(v.purse, hash, uint8(why));
            return;
        }

        _pay(batch, p, v, hash);
    }

    /// @dev Pays a valid voucher unless its counter already settled it (exactly once).
    function _pay(Batch memory batch, Purse memory p, Voucher calldata v, bytes32 hash) private {
        uint256 shift = (v.counter & 1) * 128;
        uint256 tags = _settledTags[v.purse][v.counter >> 1];
        uint128 stored = uint128(tags >> shift);
        if (stored == uint128(uint256(hash) >> 128)) return; // settled before
        // A different voucher settled at this counter: this one is fraud's second voucher.
        bool conflicting = stored != 0;
        if (conflicting && _settledConflicting[hash]) return; // settled before

        // Paid from the purse while it lasts; beyond that it overlaps others: fraud.
        uint256 room = p.locked - p.paid;
        uint256 fromPurse = v.amount <= room ? v.amount : room;
        uint256 excess = v.amount - fromPurse;
        if ((conflicting || excess > 0) && !p.frozen) {
            _markFraud(p, v.purse, bytes32(uint256(stored) << 128), hash);
            if (batch.defrauderCount == 0) batch.defrauders = new address[](batch.payees.length);
            batch.defrauders[batch.defrauderCount++] = p.owner;
            batch.dirty = true; // the freeze
        }
        // Never more in all than the operator certified (maxCount payments of at most cap):
        // otherwise twins at one counter would drain the guarantee pool without bound.
        if (uint256(p.paid) + p.fromGuarantee + v.amount > uint256(p.maxCount) * p.cap) {
            emit VoucherRejected(v.purse, hash, uint8(Rejection.ExposureExceeded));
            return;
        }
        if (excess > 0) {
            if (_guarantee[p.operator] < excess) {
                emit VoucherRejected(v.purse, hash, uint8(Rejection.GuaranteeShort));
                return;
            }
            _guarantee[p.operator] -= excess;
            p.fromGuarantee += uint112(excess);
        }
        p.paid += uint128(fromPurse);
        batch.dirty = true;
        if (conflicting) _settledConflicting[hash] = true;
        else _settledTags[v.purse][v.counter >> 1] = tags | ((uint256(hash) >> 128) << shift);
        _addPayment(batch, v.payee, v.amount);
        emit VoucherSettled(v.purse, hash, v.payee, v.amount, excess);
    }

    /// @dev The voucher's own rules, against its purse (loaded in `p`).
    function _check(
        Purse memory p,
        Voucher calldata v,
        bytes32 hash,
        bytes calldata signature
    ) private view returns (Rejection) {
        if (p.owner == address(0)) return Rejection.UnknownPurse;
        if (p.closed) return Rejection.PurseClosed;
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(hash, signature);
        if (err != ECDSA.RecoverError.NoError || signer != v.purse) return Rejection.BadSignature;
        if (v.epoch != p.epoch) return Rejection.WrongEpoch;
        if (v.counter == 0 || v.counter > p.maxCount) return Rejection.BadCounter;
        if (v.amount == 0 || v.amount > p.cap) return Rejection.BadAmount;
        if (v.amount > v.cumulative || v.cumulative > p.locked) return Rejection.BadCumulative;
        if (v.issuedAt < p.validFrom || v.issuedAt > p.validUntil) return Rejection.OutsideValidity;
        // Never this contract: money paid to it would be nobody's.
        if (v.payee == address(this)) return Rejection.PayeeInactive;
        if (!_payeeInBatch(v.payee) && (!currency.isRegistered(v.payee) || currency.isFrozen(v.payee))) {
            return Rejection.PayeeInactive;
        }
        return Rejection.None;
    }

    /// @dev Already paid in this batch, so checked active (only a defrauder freezes during a
    /// batch, and that freeze waits until after the payout).
    function _payeeInBatch(address payee) private view returns (bool found) {
        assembly ("memory-safe") {
            found := iszero(iszero(tload(payee)))
        }
    }

    /// @dev Adds to the payee's total for this batch; a transient slot keyed by the payee
    /// remembers its index (plus one), so finding it costs the same for any number of payees.
    function _addPayment(Batch memory batch, address payee, uint256 amount) private {
        uint256 index;
        assembly ("memory-safe") {
            index := tload(payee)
        }
        if (index == 0) {
            index = ++batch.payeeCount;
            batch.payees[index - 1] = payee;
            assembly ("memory-safe") {
                tstore(payee, index)
            }
        }
        batch.totals[index - 1] += amount;
    }

    /// @dev One transferBatch for the whole batch; clears the transient index.
    function _payOut(Batch memory batch) private {
        uint256 n = batch.payeeCount;
        if (n == 0) return;
        address[] memory payees = batch.payees;
        uint256[] memory totals = batch.totals;
        assembly ("memory-safe") {
            mstore(payees, n)
            mstore(totals, n)
        }
        for (uint256 i = 0; i < n; ++i) {
            address payee = payees[i];
            assembly ("memory-safe") {
                tstore(payee, 0)
            }
        }
        if (n == 1) currency.transfer(payees[0], totals[0]);
        else currency.transferBatch(payees, totals);
    }

    /// @dev Writes the loaded purse's totals back (once per run of its vouchers).
    function _flush(Batch memory batch) private {
        if (!batch.dirty) return;
        Purse storage s = _purses[batch.purseKey];
        s.paid = batch.purse.paid;
        s.fromGuarantee = batch.purse.fromGuarantee;
        s.frozen = batch.purse.frozen;
        batch.dirty = false;
    }

    // ----------------------------------------------------------------------------------
    // Fraud
    // ----------------------------------------------------------------------------------

    /**
     * @notice Anyone proves a purse's fraud with two different vouchers its key signed whose
     * ranges overlap, that share a counter, or that name the same previous voucher (a fork).
     * The purse freezes (no close, no refund) and so does its owner's account.
     */
    function proveFraud(
        Voucher calldata a,
        bytes calldata sigA,
        Voucher calldata b,
        bytes calldata sigB
    ) external {
        Purse storage s = _purses[a.purse];
        if (s.owner == address(0)) revert UnknownPurse(a.purse);
        // Proven once: a replayed proof must not re-freeze an owner the operator unfroze.
        if (s.frozen) revert PurseIsFrozen(a.purse);
        bytes32 hashA = _hashTypedDataV4(_voucherStructHash(a));
        bytes32 hashB = _hashTypedDataV4(_voucherStructHash(b));
        if (
            a.purse != b.purse ||
            a.epoch != s.epoch ||
            b.epoch != s.epoch ||
            hashA == hashB ||
            ECDSA.recoverCalldata(hashA, sigA) != a.purse ||
            ECDSA.recoverCalldata(hashB, sigB) != a.purse
        ) revert NotFraud();
        if (!(_overlap(a, b) || a.counter == b.counter || a.prevVoucherHash == b.prevVoucherHash)) revert NotFraud();
        Purse memory p = s;
        _markFraud(p, a.purse, hashA, hashB);
        s.frozen = true;
        currency.freezeForFraud(p.owner);
    }

    /// @dev Two well-formed ranges [cumulative − amount, cumulative) that share a unit.
    function _overlap(Voucher calldata a, Voucher calldata b) private pure returns (bool) {
        if (a.amount == 0 || b.amount == 0 || a.amount > a.cumulative || b.amount > b.cumulative) return false;
        return a.cumulative - a.amount < b.cumulative && b.cumulative - b.amount < a.cumulative;
    }

    /// @dev Marks the purse (in memory; the caller stores it) and its owner; the caller freezes
    /// the owner in the currency.
    function _markFraud(Purse memory p, address purse, bytes32 a, bytes32 b) private {
        p.frozen = true;
        _defrauder[p.owner] = true;
        emit FraudProven(purse, p.owner, a, b);
    }

    // ----------------------------------------------------------------------------------
    // Close
    // ----------------------------------------------------------------------------------

    /// @notice The owner takes back what no voucher claimed, once the thaw window has passed.
    function close(address purse) external {
        Purse storage s = _purses[purse];
        if (s.owner == address(0)) revert UnknownPurse(purse);
        if (msg.sender != s.owner) revert NotPurseOwner(msg.sender, s.owner);
        if (s.frozen) revert PurseIsFrozen(purse);
        if (s.closed) revert PurseIsClosed(purse);
        uint256 thawsAt = uint256(s.validUntil) + _grace;
        if (block.timestamp <= thawsAt) revert NotThawed(purse, thawsAt);
        uint256 refund = s.locked - s.paid;
        s.closed = true;
        if (refund > 0) currency.transfer(s.owner, refund);
        emit PurseClosed(purse, s.owner, refund);
    }

    // ----------------------------------------------------------------------------------
    // The currency's system-contract hook
    // ----------------------------------------------------------------------------------

    /// @notice Account recovery in the currency: a purse holds no notes, and a lost account's
    /// purses stay bound to their keys (which were on the lost token), so nothing moves.
    function recoverNotes(address, address) external view returns (uint256 moved, bool complete) {
        if (msg.sender != address(currency)) revert NotCurrency(msg.sender);
        return (0, true);
    }

    // ----------------------------------------------------------------------------------
    // Views
    // ----------------------------------------------------------------------------------

    function purseOf(address purse) external view returns (PurseState memory state) {
        Purse memory p = _purses[purse];
        state = PurseState({
            owner: p.owner,
            operator: p.operator,
            locked: p.locked,
            cap: p.cap,
            maxCount: p.maxCount,
            validFrom: p.validFrom,
            validUntil: p.validUntil,
            epoch: p.epoch,
            paid: p.paid,
            fromGuarantee: p.fromGuarantee,
            frozen: p.frozen,
            closed: p.closed
        });
    }

    /// @notice Whether this voucher was paid. (Settlement is recorded by purse and counter,
    /// so the view takes the voucher, not its hash; VoucherSettled events carry the hash.)
    function isSettled(Voucher calldata voucher) external view returns (bool) {
        bytes32 hash = _hashTypedDataV4(_voucherStructHash(voucher));
        uint256 tags = _settledTags[voucher.purse][voucher.counter >> 1];
        uint128 stored = uint128(tags >> ((voucher.counter & 1) * 128));
        return (stored != 0 && stored == uint128(uint256(hash) >> 128)) || _settledConflicting[hash];
    }

    /// @notice The 128-bit tag (top half of the hash) of the voucher settled at a counter; zero if none.
    function settledTag(address purse, uint32 counter) external view returns (bytes16) {
        uint256 tags = _settledTags[purse][counter >> 1];
        return bytes16(uint128(tags >> ((counter & 1) * 128)));
    }

    /// @notice The owner's next epoch: the one its next certificate must name.
    function epochOf(address owner) external view returns (uint32) {
        return _epochOf[owner];
    }

    function isDefrauder(address account) external view returns (bool) {
        return _defrauder[account];
    }

    /// @notice Seconds after a certificate's validUntil before its owner may close the purse.
    function grace() external view returns (uint64) {
        return _grace;
    }

    /// @notice The EIP-712 digest of a voucher: its hash everywhere (events, isSettled).
    function voucherHash(Voucher calldata voucher) external view returns (bytes32) {
        return _hashTypedDataV4(_voucherStructHash(voucher));
    }

    function certificateHash(PurseCertificate calldata cert) external view returns (bytes32) {
        return _hashTypedDataV4(_certificateStructHash(cert));
    }

    /// @dev keccak256(abi.encode(VOUCHER_TYPEHASH, v.purse, …, v.issuedAt)): the voucher is eight
    /// static words in calldata, copied behind the typehash into free memory, which is not
    /// claimed (a batch hashes many vouchers; allocating each would grow memory). A field with
    /// dirty high bits hashes differently from what the purse key signed: its signature fails.
    function _voucherStructHash(Voucher calldata v) private pure returns (bytes32 hash) {
        bytes32 typehash = VOUCHER_TYPEHASH;
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, typehash)
            calldatacopy(add(ptr, 0x20), v, 0x100)
            hash := keccak256(ptr, 0x120)
        }
    }

    function _certificateStructHash(PurseCertificate calldata c) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    PURSE_CERTIFICATE_TYPEHASH,
                    c.purse,
                    c.owner,
                    c.locked,
                    c.cap,
                    c.maxCount,
                    c.validFrom,
                    c.validUntil,
                    c.operator,
                    c.epoch
                )
            );
    }
}
