// Package templates holds the reply templates built into the binary: one
// Go text/template file per reply plan and language, named
// PLAN[.BUYERTYPE].LANG.tmpl, plus common.LANG.tmpl with the pieces every
// plan shares (greeting, signature, offer lines, company presentation).
// Ops can copy this folder, edit the wording and point [drafts] templates
// at the copy; filter/draft loads either.
package templates

import "embed"

// FS holds every *.tmpl file of this folder.
//
//go:embed *.tmpl
var FS embed.FS
