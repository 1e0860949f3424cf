// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {ERC3525} from "@solvprotocol/erc-3525/ERC3525.sol";
// The ERC-3525 reference implementation pins OpenZeppelin 4.9, which npm installs under
// the erc-3525 package. Signet's own OpenZeppelin is 5.x; importing it here would mix the
// two versions in one inheritance tree. So this file takes its helpers from the same
// OpenZeppelin 4.9 copy that ERC3525 uses.
import {EIP712} from "@solvprotocol/erc-3525/node_modules/@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@solvprotocol/erc-3525/node_modules/@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuard} from "@solvprotocol/erc-3525/node_modules/@openzeppelin/contracts/security/ReentrancyGuard.sol";

/// @notice What the note contract needs from a Signet digital currency (DigitalCurrency.sol).
interface IDigitalCurrency {
    function isRegistered(address account) external view returns (bool);
    function isFrozen(address account) external view returns (bool);
    function transferFrom(address from, address to, uint256 value) external returns (bool);
    function hasRole(bytes32 role, address account) external view returns (bool);
}

/**
 * @title Signet Digital Note
 * @notice Promissory notes as ERC-3525 semi-fungible tokens. A note is a debtor's (the
 * acceptor's) promise to pay its value in a digital currency at maturity. Notes with the
 * same acceptor, currency and maturity share a slot, so they are interchangeable and can be
 * split or merged: a supplier can endorse a note whole, split off part of it to pay its own
 * supplier, or sell part of it to a bank (financing) before maturity.
 * @dev Values are currency minor units (2 decimals). Who may hold a note follows the
 * currency's account registry and freezes: every recipient must be registered there and not
 * frozen, and a frozen holder's notes do not move except when its operator recovers the
 * account (DigitalCurrency.recoverFrozen calls recoverNotes). Notes are issued only in
 * currencies the central bank accepts: the one this contract was deployed for, and any it
 * adds (setCurrencyAccepted). A currency listed here must be a Signet DigitalCurrency that
 * lists this contract as a system contract, since its registry is what the rules trust.
 */
contract DigitalNote is ERC3525, EIP712, ReentrancyGuard {
    struct SlotInfo {
        address acceptor;
        address currency;
        uint64 maturity;
    }

    /// @notice A holder's offer to sell `value` of note `tokenId` to `bank` for `price`
    /// (currency minor units), signed offline (EIP-712) and submitted by the bank.
    struct FinanceOffer {
        uint256 tokenId;
        uint256 value;
        address bank;
        uint256 price;
        uint256 deadline;
        bytes32 nonce;
    }

    bytes32 public constant FINANCE_OFFER_TYPEHASH =
        keccak256(
            "FinanceOffer(uint256 tokenId,uint256 value,address bank,uint256 price,uint256 deadline,bytes32 nonce)"
        );

    /// @notice The most notes one recoverNotes call examines, moved or not (see
    /// DigitalCurrency.recoverFrozen): notes in other currencies count too, so sending an
    /// account many of them cannot make its recovery too big for a block.
    uint256 public constant MAX_NOTES_PER_RECOVERY = 100;
    /// @dev DigitalCurrency's roles, by the same hashes.
    bytes32 private constant CENTRAL_BANK_ROLE = keccak256("CENTRAL_BANK_ROLE");
    bytes32 private constant SYSTEM_CONTRACT_ROLE = keccak256("SYSTEM_CONTRACT_ROLE");

    /// @notice The currency this contract was deployed for; its central bank keeps the list of
    /// accepted currencies.
    IDigitalCurrency public immutable homeCurrency;
    mapping(address currency => bool) private _acceptedCurrency;
    /// @dev Set only while recoverNotes moves a frozen account's notes (transient storage).
    bool private transient _recovering;
    /// @dev A recovery that takes several calls: currency => lost account => how many of its
    /// notes, from the front of its list, the next call still has to examine (zero: none under
    /// way, start from the end). Everything behind them was examined and is in other currencies.
    mapping(address currency => mapping(address account => uint256)) private _recoveryUnexamined;

    mapping(uint256 slot => SlotInfo) private _slotInfo;
    mapping(uint256 tokenId => bool) private _dishonoured;
    /// @dev holder => finance offer nonce => used or cancelled.
    mapping(address holder => mapping(bytes32 nonce => bool)) private _financeNonceUsed;

    event NoteIssued(
        uint256 indexed tokenId,
        address indexed acceptor,
        address indexed payee,
        uint256 slot,
        uint256 faceValue,
        uint64 maturity
    );
    event NoteFinanced(
        uint256 indexed tokenId,
        uint256 indexed bankTokenId,
        address indexed holder,
        address bank,
        uint256 value,
        uint256 price
    );
    event FinanceOfferCanceled(address indexed holder, bytes32 indexed nonce);
    event NoteRedeemed(uint256 indexed tokenId, address indexed holder, uint256 value);
    event NoteDishonoured(uint256 indexed tokenId, address indexed acceptor, address indexed holder, uint256 value);
    event CurrencyAcceptanceChanged(address indexed currency, bool accepted);
    /// @notice `complete` is false when notes of the account are left to examine (call again);
    /// true when none of its notes in `currency` is left.
    event NotesRecovered(
        address indexed currency,
        address indexed lost,
        address indexed replacement,
        uint256 moved,
        bool complete
    );

    error NotRegistered(address account);
    error AccountIsFrozen(address account);
    error CurrencyNotAccepted(address currency);
    error NotCentralBank(address caller);
    error NotSystemContract(address currency);
    error ZeroAddress();
    error MaturityNotInFuture(uint64 maturity);
    error ZeroValue();
    error NoteMatured(uint256 tokenId, uint64 maturity);
    error NoteNotMature(uint256 tokenId, uint64 maturity);
    error NotHolder(uint256 tokenId, address caller);
    error NotOfferedBank(address caller, address bank);
    error OfferExpired(uint256 deadline);
    error OfferNonceUsed(address holder, bytes32 nonce);
    error InvalidOfferSignature(address holder);
    error ValueExceedsNote(uint256 value, uint256 balance);
    error PaymentFailed();
    error HolderCannotReceive(address holder);

    /// @param currency The ledger's currency: accepted from the start, and the home of the
    /// central bank that keeps the list of accepted currencies.
    constructor(address currency) ERC3525("Signet Digital Note", "SDN", 2) EIP712("Signet Digital Note", "1") {
        if (currency == address(0)) revert ZeroAddress();
        homeCurrency = IDigitalCurrency(currency);
        _acceptedCurrency[currency] = true;
        emit CurrencyAcceptanceChanged(currency, true);
    }

    // ----------------------------------------------------------------------------------
    // Accepted currencies
    // ----------------------------------------------------------------------------------

    /// @notice Whether new notes may be issued in `currency`.
    function isCurrencyAccepted(address currency) external view returns (bool) {
        return _acceptedCurrency[currency];
    }

    /**
     * @notice The central bank (of the home currency) adds or removes a currency notes may be
     * issued in. Notes already issued in a removed currency keep following its registry and
     * can still be redeemed, but cannot be recovered until it is accepted again.
     */
    function setCurrencyAccepted(address currency, bool accepted) external {
        if (!homeCurrency.hasRole(CENTRAL_BANK_ROLE, msg.sender)) revert NotCentralBank(msg.sender);
        if (currency == address(0)) revert ZeroAddress();
        _acceptedCurrency[currency] = accepted;
        emit CurrencyAcceptanceChanged(currency, accepted);
    }

    // ----------------------------------------------------------------------------------
    // Slots and issuance
    // ----------------------------------------------------------------------------------

    /// @notice The slot of notes by `acceptor`, payable in `currency` at `maturity`.
    function slotFor(address acceptor, address currency, uint64 maturity) public pure returns (uint256) {
        return uint256(keccak256(abi.encode(acceptor, currency, maturity)));
    }

    /// @notice Who pays, in what and when, for notes in `slot` (zeros for an unused slot).
    function slotInfo(uint256 slot) external view returns (address acceptor, address currency, uint64 maturity) {
        SlotInfo storage info = _slotInfo[slot];
        return (info.acceptor, info.currency, info.maturity);
    }

    function isDishonoured(uint256 tokenId) external view returns (bool) {
        return _dishonoured[tokenId];
    }

    /// @notice Whether a holder has used or cancelled a finance offer nonce.
    function financeNonceUsed(address holder, bytes32 nonce) external view returns (bool) {
        return _financeNonceUsed[holder][nonce];
    }

    /**
     * @notice The caller (the acceptor, i.e. the debtor) issues a note promising `faceValue`
     * of `currency` to `payee` at `maturity`. The currency must be accepted, and both parties
     * registered in it and not frozen, so every note names two parties a bank knows.
     */
    function issue(
        address payee,
        uint256 faceValue,
        address currency,
        uint64 maturity
    ) external returns (uint256 tokenId) {
        if (faceValue == 0) revert ZeroValue();
        if (maturity <= block.timestamp) revert MaturityNotInFuture(maturity);
        if (!_acceptedCurrency[currency]) revert CurrencyNotAccepted(currency);
        _requireActive(IDigitalCurrency(currency), msg.sender);
        uint256 slot = slotFor(msg.sender, currency, maturity);
        if (_slotInfo[slot].currency == address(0)) {
            _slotInfo[slot] = SlotInfo({acceptor: msg.sender, currency: currency, maturity: maturity});
        }
        // _mint runs the transfer hook, which checks that the payee is registered and not frozen.
        tokenId = _mint(payee, slot, faceValue);
        emit NoteIssued(tokenId, msg.sender, payee, slot, faceValue, maturity);
    }

    // ----------------------------------------------------------------------------------
    // Transfer rules (endorse = ERC-721 transfer, split = ERC-3525 value transfer)
    // ----------------------------------------------------------------------------------

    /**
     * @dev Every movement of a note passes through this hook (issue, endorse, split, merge,
     * finance, redeem, recovery), with the rules of the note's currency:
     * - any recipient must be registered and not frozen;
     * - the holder it leaves must be registered and not frozen, and so must anyone moving it
     *   on the holder's behalf (an ERC-721/3525 approval, the financing bank);
     * - between holders a note moves only before maturity: from maturity on it is a claim on
     *   the acceptor, settled by redeem, and must not change hands while it is being paid.
     * During recovery (the currency moving a frozen account's notes to its replacement) only
     * the recipient rule applies.
     */
    function _beforeValueTransfer(
        address from,
        address to,
        uint256 fromTokenId,
        uint256 toTokenId,
        uint256 slot,
        uint256 value
    ) internal virtual override {
        super._beforeValueTransfer(from, to, fromTokenId, toTokenId, slot, value);
        SlotInfo storage info = _slotInfo[slot];
        IDigitalCurrency currency = IDigitalCurrency(info.currency);
        if (to != address(0)) {
            _requireActive(currency, to);
            // A note arriving in this currency may land behind where a recovery under way
            // would resume: that recovery starts again from the end.
            if (_recoveryUnexamined[info.currency][to] != 0) delete _recoveryUnexamined[info.currency][to];
        }
        if (from == address(0) || _recovering) return; // issue, recovery
        _requireActive(currency, from);
        address mover = _msgSender();
        if (mover != from) _requireActive(currency, mover);
        if (to != address(0) && block.timestamp >= info.maturity) {
            revert NoteMatured(fromTokenId, info.maturity);
        }
    }

    function _requireActive(IDigitalCurrency currency, address account) private view {
        if (!currency.isRegistered(account)) revert NotRegistered(account);
        if (currency.isFrozen(account)) revert AccountIsFrozen(account);
    }

    // ----------------------------------------------------------------------------------
    // Recovery of a lost account
    // ----------------------------------------------------------------------------------

    /**
     * @notice Called by a currency's recoverFrozen: moves the notes `lost` holds in that
     * currency to `replacement`, whatever their maturity; the replacement must be able to
     * hold them (registered, not frozen). Examines at most MAX_NOTES_PER_RECOVERY of `lost`'s
     * notes per call, in any currency; the next call goes on from where this one stopped.
     * @return moved How many notes moved.
     * @return complete False when notes of `lost` are left to examine (call again).
     */
    function recoverNotes(address lost, address replacement) external returns (uint256 moved, bool complete) {
        // The currency has checked that `lost` is frozen and `replacement` may hold money.
        if (!_acceptedCurrency[msg.sender]) revert CurrencyNotAccepted(msg.sender);
        // From the end of lost's list towards its front; notes in other currencies stay where
        // they are. Moving the note at index i swaps the list's last note, already examined,
        // into its place, so from index i on every note is in another currency. A later call
        // resumes at the front part: between calls a note leaving the list also only swaps the
        // last note forward, and one arriving in this currency restarts the recovery
        // (_beforeValueTransfer), so none in this currency is ever behind where it resumes.
        uint256 held = balanceOf(lost);
        uint256 unexamined = _recoveryUnexamined[msg.sender][lost];
        // None under way, or fewer notes left than it had still to examine: all of them.
        if (unexamined == 0 || unexamined > held) unexamined = held;
        uint256 examined;
        _recovering = true;
        while (unexamined > 0 && examined < MAX_NOTES_PER_RECOVERY) {
            --unexamined;
            ++examined;
            uint256 tokenId = tokenOfOwnerByIndex(lost, unexamined);
            if (_slotInfo[slotOf(tokenId)].currency != msg.sender) continue;
            _transferTokenId(lost, replacement, tokenId);
            ++moved;
        }
        _recovering = false;
        _recoveryUnexamined[msg.sender][lost] = unexamined;
        complete = unexamined == 0;
        emit NotesRecovered(msg.sender, lost, replacement, moved, complete);
    }

    // ----------------------------------------------------------------------------------
    // Finance: delivery versus payment in one transaction
    // ----------------------------------------------------------------------------------

    /// @notice The EIP-712 digest a holder signs for `offer` (for wallets and tests).
    function hashFinanceOffer(FinanceOffer calldata offer) public view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(
                        FINANCE_OFFER_TYPEHASH,
                        offer.tokenId,
                        offer.value,
                        offer.bank,
                        offer.price,
                        offer.deadline,
                        offer.nonce
                    )
                )
            );
    }

    /**
     * @notice The bank named in a holder's signed offer buys `offer.value` of the note for
     * `offer.price`. The bank's payment (from its allowance to this contract) and the note's
     * delivery happen in this one call: if either leg fails, neither happens.
     * @dev The holder signs offline; the signature is checked against the note's current
     * owner, so an offer dies when the note is endorsed away. Smart-account holders (Safe)
     * sign via ERC-1271.
     * @return bankTokenId The note the bank now holds: `offer.tokenId` itself when the whole
     * note is sold, otherwise a new note split off it.
     */
    function finance(
        FinanceOffer calldata offer,
        bytes calldata signature
    ) external nonReentrant returns (uint256 bankTokenId) {
        if (msg.sender != offer.bank) revert NotOfferedBank(msg.sender, offer.bank);
        if (block.timestamp > offer.deadline) revert OfferExpired(offer.deadline);
        address holder = ownerOf(offer.tokenId);
        if (_financeNonceUsed[holder][offer.nonce]) revert OfferNonceUsed(holder, offer.nonce);
        if (!SignatureChecker.isValidSignatureNow(holder, hashFinanceOffer(offer), signature)) {
            revert InvalidOfferSignature(holder);
        }
        SlotInfo storage info = _slotInfo[slotOf(offer.tokenId)];
        if (block.timestamp >= info.maturity) revert NoteMatured(offer.tokenId, info.maturity);
        uint256 balance = balanceOf(offer.tokenId);
        if (offer.value == 0) revert ZeroValue();
        if (offer.value > balance) revert ValueExceedsNote(offer.value, balance);

        _financeNonceUsed[holder][offer.nonce] = true;

        // Payment leg: reverts (and so undoes everything) if the bank has not approved this
        // contract for the price or cannot pay it.
        if (!IDigitalCurrency(info.currency).transferFrom(offer.bank, holder, offer.price)) revert PaymentFailed();

        // Delivery leg. The holder's signature is the authority, so internal moves skip the
        // ERC-721/3525 approvals; the transfer hook still applies the registry and maturity rules.
        if (offer.value == balance) {
            _transferTokenId(holder, offer.bank, offer.tokenId);
            bankTokenId = offer.tokenId;
        } else {
            bankTokenId = _createDerivedTokenId(offer.tokenId);
            _mint(offer.bank, bankTokenId, slotOf(offer.tokenId), 0);
            _transferValue(offer.tokenId, bankTokenId, offer.value);
        }
        emit NoteFinanced(offer.tokenId, bankTokenId, holder, offer.bank, offer.value, offer.price);
    }

    /// @notice The holder withdraws a finance offer it signed but no bank has taken yet.
    function cancelFinanceOffer(bytes32 nonce) external {
        if (_financeNonceUsed[msg.sender][nonce]) revert OfferNonceUsed(msg.sender, nonce);
        _financeNonceUsed[msg.sender][nonce] = true;
        emit FinanceOfferCanceled(msg.sender, nonce);
    }

    // ----------------------------------------------------------------------------------
    // Redemption
    // ----------------------------------------------------------------------------------

    /**
     * @notice At or after maturity the holder collects the note's value from the acceptor
     * (who approves this contract to pay its notes). If the acceptor does not pay — no
     * allowance, no balance, frozen — the call still succeeds and records the note as
     * dishonoured, so the default is on the ledger for everyone to see. A dishonoured note
     * can be presented again once the acceptor pays.
     */
    function redeem(uint256 tokenId) external nonReentrant {
        address holder = ownerOf(tokenId);
        if (msg.sender != holder) revert NotHolder(tokenId, msg.sender);
        SlotInfo storage info = _slotInfo[slotOf(tokenId)];
        if (block.timestamp < info.maturity) revert NoteNotMature(tokenId, info.maturity);
        IDigitalCurrency currency = IDigitalCurrency(info.currency);
        // A holder who cannot receive money must not be able to blame the acceptor for it,
        // and neither may this contract when the currency no longer lets it collect.
        if (!currency.isRegistered(holder) || currency.isFrozen(holder)) revert HolderCannotReceive(holder);
        if (!currency.hasRole(SYSTEM_CONTRACT_ROLE, address(this))) revert NotSystemContract(address(currency));
        uint256 value = balanceOf(tokenId);

        // Starving this call of gas cannot fake a dishonour: a transferFrom that runs out of
        // gas leaves this frame only 1/64 of the gas (EIP-150). DigitalCurrency's transferFrom
        // costs tens of thousands of gas, so that is a few hundred, far below the ~25,000 it
        // takes to record a dishonour: the whole transaction fails instead.
        bool paid;
        try currency.transferFrom(info.acceptor, holder, value) returns (bool ok) {
            paid = ok;
        } catch {}

        if (paid) {
            delete _dishonoured[tokenId];
            _burn(tokenId);
            emit NoteRedeemed(tokenId, holder, value);
        } else {
            _dishonoured[tokenId] = true;
            emit NoteDishonoured(tokenId, info.acceptor, holder, value);
        }
    }
}
