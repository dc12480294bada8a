package ssl

// confcmd.go applies ssl_conf_command and *_ssl_conf_command: the
// OpenSSL commands confparse let through, in order, each overriding
// what the directives set before it, as nginx applies them last.

import (
	"crypto/tls"
	"strings"

	"goproxy/confparse"
)

// ConfSettings is what a list of conf commands sets; nil or empty
// fields leave the directives' settings alone.
type ConfSettings struct {
	Ciphers      *string  // CipherString: as ssl_ciphers
	Curves       *string  // Curves, Groups, ECDHParameters: as ssl_ecdh_curve
	Protocols    []string // Protocol, MinProtocol, MaxProtocol: the versions left
	PreferServer *bool    // Options [-]ServerPreference
	Tickets      *bool    // Options [-]SessionTicket
	// Certificates and Keys are Certificate and PrivateKey, paired in order.
	Certificates, Keys []string
}

var allProtocols = []string{"TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

// ReadConfCommands reads cmds over the configured protocols.
func ReadConfCommands(cmds []confparse.SSLConfCommand, protocols []string) ConfSettings {
	var cs ConfSettings
	enabled := map[string]bool{}
	for _, p := range protocols {
		enabled[p] = true
	}
	lo, hi := "", ""
	versionChange := false
	for _, c := range cmds {
		v := c.Value
		switch strings.ToLower(c.Name) {
		case "cipherstring":
			cs.Ciphers = &v
		case "curves", "groups", "ecdhparameters":
			cs.Curves = &v
		case "minprotocol":
			lo, versionChange = v, true
		case "maxprotocol":
			hi, versionChange = v, true
		case "protocol":
			versionChange = true
			for _, p := range strings.Split(v, ",") {
				p = strings.TrimSpace(p)
				on := !strings.HasPrefix(p, "-")
				p = strings.TrimLeft(p, "+-")
				for _, q := range allProtocols {
					if p == "ALL" || p == q {
						enabled[q] = on
					}
				}
			}
		case "options":
			for _, o := range strings.Split(v, ",") {
				o = strings.TrimSpace(o)
				on := !strings.HasPrefix(o, "-")
				switch strings.ToLower(strings.TrimLeft(o, "+-")) {
				case "serverpreference":
					cs.PreferServer = &on
				case "sessionticket":
					cs.Tickets = &on
				}
			}
		case "certificate":
			cs.Certificates = append(cs.Certificates, v)
		case "privatekey":
			cs.Keys = append(cs.Keys, v)
		}
	}
	if versionChange {
		cs.Protocols = []string{}
		in := lo == "" || lo == "None" || lo == "SSLv3"
		for _, p := range allProtocols {
			if p == lo {
				in = true
			}
			if in && enabled[p] {
				cs.Protocols = append(cs.Protocols, p)
			}
			if p == hi {
				in = false
			}
		}
	}
	return cs
}

// withConfCommands is c with its conf commands applied.
func withConfCommands(c *confparse.SSLSrv) (*confparse.SSLSrv, ConfSettings) {
	cs := ReadConfCommands(c.ConfCommands, c.Protocols)
	if len(c.ConfCommands) == 0 {
		return c, cs
	}
	cc := *c
	if cs.Ciphers != nil {
		cc.Ciphers = cs.Ciphers
	}
	if cs.Curves != nil {
		cc.ECDHCurve = cs.Curves
	}
	if cs.Protocols != nil {
		cc.Protocols = cs.Protocols
	}
	if cs.PreferServer != nil {
		cc.PreferServer = cs.PreferServer
	}
	if cs.Tickets != nil {
		cc.SessionTickets = cs.Tickets
	}
	return &cc, cs
}

// overrideCertificates loads the Certificate and PrivateKey pairs of cs:
// each takes the place of the configured certificate with the same
// kind of key, as OpenSSL keeps one a key type, or joins them.
func overrideCertificates(certs []tls.Certificate, names []string, cs ConfSettings, passwords []string) ([]tls.Certificate, []string, error) {
	for i, cp := range cs.Certificates {
		kp := cp
		if i < len(cs.Keys) {
			kp = cs.Keys[i]
		}
		c, err := loadPair(cp, kp, passwords)
		if err != nil {
			return nil, nil, err
		}
		replaced := false
		for j := range certs {
			if keyKind(&certs[j]) == keyKind(c) {
				certs[j], names[j], replaced = *c, cp, true
				break
			}
		}
		if !replaced {
			certs, names = append(certs, *c), append(names, cp)
		}
	}
	return certs, names, nil
}
