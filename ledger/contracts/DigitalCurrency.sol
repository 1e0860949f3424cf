// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";
import {AccessControlEnumerable} from "@openzeppelin/contracts/access/extensions/AccessControlEnumerable.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @notice A contract of the ledger itself that holds account-bound assets (a note contract).
interface ISystemContract {
    /// @notice Moves notes of `lost` (frozen) in the calling currency to `replacement`. Only
    /// the currency calls it, from recoverFrozen, with at most SYSTEM_RECOVERY_GAS gas.
    function recoverNotes(address lost, address replacement) external returns (uint256 moved, bool complete);
}

/**
 * @title Signet Digital Currency
 * @notice A two-tier digital currency on a bank's permissioned ledger. The central bank
 * issues money to operator banks; operator banks register their customers' accounts and
 * pass money on by ordinary transfers. Only registered accounts hold money, so every
 * balance on the ledger belongs to someone a bank knows (KYC stays off chain: the
 * registry records only which operator vouches for an account and an opaque reference).
 * @dev Amounts are in minor units (2 decimals: 100 = 1.00). Signed transfers come in two
 * forms sharing one EIP-712 domain ("Signet Digital Currency", "1"): EIP-2612 `permit`
 * (sequential nonces, sets an allowance) and EIP-3009 authorisations (random 32-byte
 * nonces, move money directly). EIP-3009 is what makes offline payments possible: a
 * payer can sign many authorisations without knowing the ledger's state.
 *
 * Spending on someone else's behalf (an allowance through `transferFrom`, a `permit`, an
 * EIP-3009 authorisation submitted by a third party) is open only to registered accounts
 * that are not frozen, and to the ledger's own system contracts (the note contracts, which
 * pull a financing bank's price and an acceptor's payment). The central bank keeps that list
 * (SYSTEM_CONTRACT_ROLE); each system contract also moves its notes when a lost account is
 * recovered.
 */
contract DigitalCurrency is ERC20, ERC20Permit, AccessControlEnumerable {
    /// @notice Issues money to operator banks and appoints them.
    bytes32 public constant CENTRAL_BANK_ROLE = keccak256("CENTRAL_BANK_ROLE");
    /// @notice Registers, freezes and recovers customer accounts; distributes money.
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    /// @notice The ledger's own contracts (note contracts): may spend allowances without being
    /// registered, and are told to move a lost account's notes on recovery. Appointed by the
    /// central bank; each should implement ISystemContract (one that does not, or fails, only
    /// keeps its own notes from moving: see recoverFrozen).
    bytes32 public constant SYSTEM_CONTRACT_ROLE = keccak256("SYSTEM_CONTRACT_ROLE");
    /// @notice System contracts that hold money in escrow (the offline purse contract: purses'
    /// locked money, operators' guarantee pools) and so may receive it. A separate role so that
    /// money sent by mistake to a system contract that cannot pay it out (the note contract) is
    /// refused as before. Appointed by the central bank.
    bytes32 public constant ESCROW_ROLE = keccak256("ESCROW_ROLE");
    /// @notice The most gas recoverFrozen gives one system contract's recoverNotes: a note
    /// contract's largest call (DigitalNote.MAX_NOTES_PER_RECOVERY notes moved) takes about
    /// 8.2 million. So one that uses up all its gas costs a bounded amount and the recovery
    /// goes on (given a gas limit above this).
    uint256 public constant SYSTEM_RECOVERY_GAS = 12_000_000;

    /// @notice EIP-3009 typehashes, exactly as the standard spells them.
    bytes32 public constant TRANSFER_WITH_AUTHORIZATION_TYPEHASH =
        keccak256(
            "TransferWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
        );
    bytes32 public constant RECEIVE_WITH_AUTHORIZATION_TYPEHASH =
        keccak256(
            "ReceiveWithAuthorization(address from,address to,uint256 value,uint256 validAfter,uint256 validBefore,bytes32 nonce)"
        );
    bytes32 public constant CANCEL_AUTHORIZATION_TYPEHASH =
        keccak256("CancelAuthorization(address authorizer,bytes32 nonce)");

    /// @dev Customer account => the operator bank that registered it (zero: not a customer).
    mapping(address account => address operator) private _operatorOf;
    mapping(address account => bool) private _frozen;
    /// @dev EIP-3009: authoriser => nonce => used or cancelled.
    mapping(address authorizer => mapping(bytes32 nonce => bool)) private _authorizationStates;

    event AccountRegistered(address indexed account, address indexed operator, bytes32 customerRef);
    event AccountFrozen(address indexed account, address indexed operator);
    event AccountUnfrozen(address indexed account, address indexed operator);
    event FundsRecovered(address indexed lost, address indexed replacement, uint256 amount);
    /// @notice A system contract did not move `lost`'s notes during its recovery (it reverted,
    /// ran out of its gas, or is no contract); its notes stay with `lost`. `reason` is the
    /// custom error's selector when it reverted with one, zero otherwise.
    event NotesNotRecovered(
        address indexed systemContract,
        address indexed lost,
        address indexed replacement,
        bytes4 reason
    );
    event AccountReassigned(address indexed account, address indexed from, address indexed to);
    event AuthorizationUsed(address indexed authorizer, bytes32 indexed nonce);
    event AuthorizationCanceled(address indexed authorizer, bytes32 indexed nonce);

    error NotAnOperator(address account);
    error NotRegistered(address account);
    error AlreadyRegistered(address account);
    error AccountIsFrozen(address account);
    error AccountNotFrozen(address account);
    error NotAccountOperator(address account, address caller);
    error ReplacementNotCustomer(address replacement, address operator);
    error RecoveryOutOfGas(address systemContract);
    error AuthorizationAlreadyUsed(address authorizer, bytes32 nonce);
    error AuthorizationNotYetValid(uint256 validAfter);
    error AuthorizationExpired(uint256 validBefore);
    error InvalidAuthorizationSigner(address signer, address authorizer);
    error CallerMustBePayee(address caller, address payee);
    error LengthMismatch(uint256 recipients, uint256 amounts);
    error ZeroAddress();

    /// @dev The deployer is the central bank; it alone appoints (and removes) operators and
    /// system contracts.
    constructor() ERC20("Signet Digital Currency", "SDC") ERC20Permit("Signet Digital Currency") {
        _grantRole(DEFAULT_ADMIN_ROLE, msg.sender);
        _grantRole(CENTRAL_BANK_ROLE, msg.sender);
        _setRoleAdmin(OPERATOR_ROLE, CENTRAL_BANK_ROLE);
        _setRoleAdmin(SYSTEM_CONTRACT_ROLE, CENTRAL_BANK_ROLE);
        _setRoleAdmin(ESCROW_ROLE, CENTRAL_BANK_ROLE);
    }

    /// @notice Money is counted in minor units (cents): 2 decimals.
    function decimals() public pure override returns (uint8) {
        return 2;
    }

    // ----------------------------------------------------------------------------------
    // Issuance
    // ----------------------------------------------------------------------------------

    /**
     * @notice The central bank issues new money to an operator bank (the first tier).
     * @dev Customers never receive money from the central bank directly: operators pass it on.
     */
    function issue(address operator, uint256 amount) external onlyRole(CENTRAL_BANK_ROLE) {
        if (!hasRole(OPERATOR_ROLE, operator)) revert NotAnOperator(operator);
        _mint(operator, amount);
    }

    // ----------------------------------------------------------------------------------
    // Account registry
    // ----------------------------------------------------------------------------------

    /**
     * @notice An operator bank vouches for an account it has identified.
     * @param customerRef The bank's opaque reference for the customer (e.g. a hash), so the
     * bank can match the account to its own records without putting personal data on chain.
     */
    function registerAccount(address account, bytes32 customerRef) external onlyRole(OPERATOR_ROLE) {
        if (account == address(0)) revert ZeroAddress();
        if (isRegistered(account)) revert AlreadyRegistered(account);
        _operatorOf[account] = msg.sender;
        emit AccountRegistered(account, msg.sender, customerRef);
    }

    /// @notice Whether `account` may hold money: a registered customer, an operator, the central
    /// bank, or an escrow contract (ESCROW_ROLE: the offline purse contract).
    function isRegistered(address account) public view returns (bool) {
        return
            _operatorOf[account] != address(0) ||
            hasRole(OPERATOR_ROLE, account) ||
            hasRole(CENTRAL_BANK_ROLE, account) ||
            hasRole(ESCROW_ROLE, account);
    }

    /// @notice The operator bank that registered a customer account; zero for operators, the
    /// central bank and unknown accounts.
    function operatorOf(address account) external view returns (address) {
        return _operatorOf[account];
    }

    /**
     * @notice The central bank moves a customer to another operator bank (an operator closing
     * down, a customer changing banks). The account keeps its money, notes and freeze; from
     * now on only `newOperator` may freeze, unfreeze or recover it.
     */
    function reassignAccount(address account, address newOperator) external onlyRole(CENTRAL_BANK_ROLE) {
        address previous = _operatorOf[account];
        if (previous == address(0)) revert NotRegistered(account);
        if (!hasRole(OPERATOR_ROLE, newOperator)) revert NotAnOperator(newOperator);
        _operatorOf[account] = newOperator;
        emit AccountReassigned(account, previous, newOperator);
    }

    function isFrozen(address account) external view returns (bool) {
        return _frozen[account];
    }

    /// @notice The account's operator stops it sending and receiving (court order, reported
    /// theft, lost key).
    function freeze(address account) external onlyAccountOperator(account) {
        _frozen[account] = true;
        emit AccountFrozen(account, msg.sender);
    }

    /// @notice A system contract (the offline purse contract) freezes an account it has proof
    /// of fraud against: two vouchers signed by one purse key that spend the same money. Only the
    /// account's operator can unfreeze it (or recover it).
    function freezeForFraud(address account) external onlyRole(SYSTEM_CONTRACT_ROLE) {
        _frozen[account] = true;
        emit AccountFrozen(account, msg.sender);
    }

    function unfreeze(address account) external onlyAccountOperator(account) {
        if (!_frozen[account]) revert AccountNotFrozen(account);
        _frozen[account] = false;
        emit AccountUnfrozen(account, msg.sender);
    }

    /**
     * @notice Lost hardware token: the operator moves the whole balance of a frozen account,
     * and its notes in every system contract, to a new account of the same customer at the same
     * bank (a customer account this operator registered, not frozen), in one transaction.
     * Freezing first is required so that whoever holds the lost key cannot race the recovery.
     * @dev A system contract moves at most a bounded number of notes per call (so notes sent
     * to an account cannot make its recovery too big for a block); when it reports more left
     * (NotesRecovered.complete == false), the operator calls again: the account stays frozen.
     * A system contract that fails does not stop the money, nor the other system contracts:
     * NotesNotRecovered names it, and a later call (once the central bank has fixed it) moves
     * its notes. Reverts with RecoveryOutOfGas rather than record such a failure when the
     * transaction was given too little gas for the system contract's full share.
     */
    function recoverFrozen(address lost, address replacement) external onlyAccountOperator(lost) {
        if (!_frozen[lost]) revert AccountNotFrozen(lost);
        // Never the operator itself, the central bank or another bank's customer.
        if (_operatorOf[replacement] != msg.sender) revert ReplacementNotCustomer(replacement, msg.sender);
        if (_frozen[replacement]) revert AccountIsFrozen(replacement);
        uint256 amount = balanceOf(lost);
        // Bypasses our own _update, whose freeze rule would block the move; ERC20's
        // bookkeeping and Transfer event still apply.
        super._update(lost, replacement, amount);
        emit FundsRecovered(lost, replacement, amount);
        uint256 systems = getRoleMemberCount(SYSTEM_CONTRACT_ROLE);
        for (uint256 i = 0; i < systems; ++i) {
            _recoverNotesIn(getRoleMember(SYSTEM_CONTRACT_ROLE, i), lost, replacement);
        }
    }

    /**
     * @dev Asks one system contract to move `lost`'s notes, with at most SYSTEM_RECOVERY_GAS,
     * and records it when it does not. A low-level call, because Solidity's try/catch itself
     * reverts on an account without code or an answer it cannot decode; and it copies at most
     * the 64 bytes of recoverNotes' answer, so a huge revert message cannot cost this call.
     */
    function _recoverNotesIn(address systemContract, address lost, address replacement) private {
        bytes memory data = abi.encodeCall(ISystemContract.recoverNotes, (lost, replacement));
        uint256 gasLimit = SYSTEM_RECOVERY_GAS;
        uint256 gasBefore = gasleft();
        bool ok;
        uint256 answerSize;
        bytes32 answer;
        assembly ("memory-safe") {
            mstore(0x00, 0) // an answer shorter than a word leaves the rest zero
            ok := call(gasLimit, systemContract, 0, add(data, 0x20), mload(data), 0x00, 0x40)
            answerSize := returndatasize()
            answer := mload(0x00)
        }
        // EIP-150: the call got at most 63/64 of the gas left. If it ran out of gas having got
        // less than its full share, about 1/64 is left now (plus crumbs when a call inside it
        // was what ran out): the sender starved it (or underestimated). That must not pass for
        // the system contract failing, so the whole recovery fails. OpenZeppelin's
        // ERC2771Forwarder checks forwarded calls the same way; 1/32 leaves room for the crumbs.
        if (!ok && gasleft() < gasBefore / 32) revert RecoveryOutOfGas(systemContract);
        // An account without code "succeeds" with no answer: it moved nothing.
        if (!ok || answerSize < 64) {
            bytes4 reason = !ok && answerSize >= 4 ? bytes4(answer) : bytes4(0);
            emit NotesNotRecovered(systemContract, lost, replacement, reason);
        }
    }

    /// @dev The account's own operator, and only while it still is an operator: revoking
    /// OPERATOR_ROLE ends its powers over its former customers (the central bank reassigns them).
    modifier onlyAccountOperator(address account) {
        if (!hasRole(OPERATOR_ROLE, msg.sender)) revert NotAnOperator(msg.sender);
        if (_operatorOf[account] != msg.sender) revert NotAccountOperator(account, msg.sender);
        _;
    }

    /**
     * @dev The one place every movement of money passes through (transfer, transferFrom,
     * EIP-3009, batches): both sides must be registered and not frozen. Issuance (from
     * zero) and burning (to zero) have only one side.
     */
    function _update(address from, address to, uint256 value) internal override {
        if (from != address(0)) _requireActive(from);
        if (to != address(0)) _requireActive(to);
        super._update(from, to, value);
    }

    function _requireActive(address account) private view {
        if (!isRegistered(account)) revert NotRegistered(account);
        if (_frozen[account]) revert AccountIsFrozen(account);
    }

    /// @dev Whoever acts on another's money: an active account, or one of the ledger's system contracts.
    function _requireActiveOrSystem(address account) private view {
        if (!hasRole(SYSTEM_CONTRACT_ROLE, account)) _requireActive(account);
    }

    // ----------------------------------------------------------------------------------
    // Allowances: spending on someone else's behalf
    // ----------------------------------------------------------------------------------

    /// @dev transferFrom's one path: a frozen or unregistered spender cannot use an allowance
    /// it was given (a stolen key keeps no power over other people's money).
    function _spendAllowance(address owner, address spender, uint256 value) internal override {
        _requireActiveOrSystem(spender);
        super._spendAllowance(owner, spender, value);
    }

    /// @notice EIP-2612, for active owners and spenders only (or a system contract as spender).
    function permit(
        address owner,
        address spender,
        uint256 value,
        uint256 deadline,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) public override {
        _requireActive(owner);
        _requireActiveOrSystem(spender);
        super.permit(owner, spender, value, deadline, v, r, s);
    }

    // ----------------------------------------------------------------------------------
    // Batch payments
    // ----------------------------------------------------------------------------------

    /// @notice Pays many accounts in one transaction (payroll); one Transfer event each.
    /// Either every payment happens or none does.
    function transferBatch(address[] calldata to, uint256[] calldata amounts) external {
        if (to.length != amounts.length) revert LengthMismatch(to.length, amounts.length);
        for (uint256 i = 0; i < to.length; ++i) {
            _transfer(msg.sender, to[i], amounts[i]);
        }
    }

    // ----------------------------------------------------------------------------------
    // EIP-3009: transfer with authorization
    // ----------------------------------------------------------------------------------

    /// @notice Whether an authorisation nonce has been used or cancelled.
    function authorizationState(address authorizer, bytes32 nonce) external view returns (bool) {
        return _authorizationStates[authorizer][nonce];
    }

    /// @notice The payer, or any active account (the payee, a relayer, the payer's bank), submits
    /// a payment the payer signed.
    function transferWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        // A third party submitting the payer's authorisation acts on the payer's money.
        if (msg.sender != from) _requireActiveOrSystem(msg.sender);
        _useAuthorization(TRANSFER_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, v, r, s);
        _transfer(from, to, value);
    }

    /**
     * @notice Like transferWithAuthorization, but only the payee may submit it. This stops
     * someone who sees the signed authorisation from submitting it in a way the payee did
     * not intend (EIP-3009's front-running protection for contract payees).
     */
    function receiveWithAuthorization(
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) external {
        if (to != msg.sender) revert CallerMustBePayee(msg.sender, to);
        _useAuthorization(RECEIVE_WITH_AUTHORIZATION_TYPEHASH, from, to, value, validAfter, validBefore, nonce, v, r, s);
        _transfer(from, to, value);
    }

    /// @notice The payer withdraws an authorisation not yet used (e.g. a lost offline payment).
    function cancelAuthorization(address authorizer, bytes32 nonce, uint8 v, bytes32 r, bytes32 s) external {
        if (_authorizationStates[authorizer][nonce]) revert AuthorizationAlreadyUsed(authorizer, nonce);
        bytes32 structHash = keccak256(abi.encode(CANCEL_AUTHORIZATION_TYPEHASH, authorizer, nonce));
        _requireSigner(structHash, authorizer, v, r, s);
        _authorizationStates[authorizer][nonce] = true;
        emit AuthorizationCanceled(authorizer, nonce);
    }

    function _useAuthorization(
        bytes32 typehash,
        address from,
        address to,
        uint256 value,
        uint256 validAfter,
        uint256 validBefore,
        bytes32 nonce,
        uint8 v,
        bytes32 r,
        bytes32 s
    ) private {
        if (block.timestamp <= validAfter) revert AuthorizationNotYetValid(validAfter);
        if (block.timestamp >= validBefore) revert AuthorizationExpired(validBefore);
        if (_authorizationStates[from][nonce]) revert AuthorizationAlreadyUsed(from, nonce);
        bytes32 structHash = keccak256(abi.encode(typehash, from, to, value, validAfter, validBefore, nonce));
        _requireSigner(structHash, from, v, r, s);
        _authorizationStates[from][nonce] = true;
        emit AuthorizationUsed(from, nonce);
    }

    /// @dev OpenZeppelin's ECDSA rejects malleable (high-s) signatures and the zero address.
    function _requireSigner(bytes32 structHash, address expected, uint8 v, bytes32 r, bytes32 s) private view {
        address signer = ECDSA.recover(_hashTypedDataV4(structHash), v, r, s);
        if (signer != expected) revert InvalidAuthorizationSigner(signer, expected);
    }
}
