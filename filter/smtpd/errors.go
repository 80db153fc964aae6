package smtpd

import (
	"fmt"

	"github.com/emersion/go-smtp"
)

// The replies of this package, in one place. Everything a client sees from
// us is an *smtp.SMTPError: go-smtp turns any other error from Data into a
// permanent 554 and from Mail/Rcpt into 451, and it recognises the type by
// assertion, so these are never wrapped.
//
// 4xx means "try again later" (our trouble: the spool, a limit on
// concurrency); 5xx means the sender must change something.

func reply(code int, class, subject, detail int, msg string, args ...any) *smtp.SMTPError {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, subject, detail}, Message: fmt.Sprintf(msg, args...)}
}

var (
	// RFC 3207 §4: a server that requires TLS answers 530 before STARTTLS.
	errTLSRequired = reply(530, 5, 7, 0, "Must issue a STARTTLS command first")

	// Line ends other than CRLF in DATA are how SMTP smuggling works
	// (CVE-2023-51764 and kin): a downstream MTA may see the end of data
	// where we did not. RFC 5321 §2.3.8 allows only CRLF.
	errBareLF = reply(554, 5, 6, 0, "Message refused: bare LF in message data; lines must end with CRLF (RFC 5321 2.3.8)")
	errBareCR = reply(554, 5, 6, 0, "Message refused: bare CR in message data; lines must end with CRLF (RFC 5321 2.3.8)")

	// Our failure to store the message: the client keeps it and retries.
	errSpool = reply(451, 4, 3, 0, "Temporary failure writing the mail queue, please try again later")
	// The connection broke or timed out during DATA.
	errDataRead = reply(451, 4, 4, 2, "Error reading message data, please try again")
)

func errTooBig(max int64) *smtp.SMTPError {
	return reply(552, 5, 3, 4, "Message exceeds the size limit of %d octets", max)
}

func errLineTooLong(max int) *smtp.SMTPError {
	return reply(554, 5, 6, 0, "Message refused: a line is longer than %d octets", max)
}

func errHeaderTooBig(max int) *smtp.SMTPError {
	return reply(552, 5, 3, 4, "Message header section exceeds %d octets", max)
}

func errTooManyFields(max int) *smtp.SMTPError {
	return reply(552, 5, 3, 4, "Message has more than %d header fields", max)
}

// RFC 5321 §6.3 and RFC 3463 5.4.6: a routing loop.
func errTooManyHops(max int) *smtp.SMTPError {
	return reply(554, 5, 4, 6, "Too many hops: more than %d Received: fields (mail loop?)", max)
}

func errRelayDenied(rcpt string) *smtp.SMTPError {
	return reply(550, 5, 7, 1, "<%s>: Relay access denied", rcpt)
}

// errBadAddress is for addresses go-smtp parsed but we will not carry:
// control characters, invalid UTF-8, or UTF-8 without SMTPUTF8.
func errBadAddress(sender bool, why string) *smtp.SMTPError {
	if sender {
		return reply(553, 5, 1, 7, "Bad sender address: %s", why)
	}
	return reply(553, 5, 1, 3, "Bad recipient address: %s", why)
}

// RFC 6531 §3.5: a non-ASCII address without SMTPUTF8.
func errNeedUTF8(sender bool) *smtp.SMTPError {
	who := "recipient"
	if sender {
		who = "sender"
	}
	return reply(553, 5, 6, 7, "Non-ASCII %s address needs the SMTPUTF8 parameter on MAIL FROM", who)
}
