// Package remote implements command:remote:Command, CopyToRemote and CopyFile
// over SSH.
package remote

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"github.com/pulumi/pulumi-go-provider/infer"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Connection describes how to reach the remote host.
type Connection struct {
	ConnectionBase
	Proxy *ProxyConnection `pulumi:"proxy,optional"`
}

// ProxyConnection describes a jump host.
type ProxyConnection struct {
	ConnectionBase
}

// ConnectionBase is what a connection and its proxy both say (as upstream's connectionBase);
// the schema lists its fields in each of the two types.
type ConnectionBase struct {
	User               *string  `pulumi:"user,optional"`
	Password           *string  `pulumi:"password,optional" provider:"secret"`
	Host               string   `pulumi:"host"`
	Port               *float64 `pulumi:"port,optional"`
	PrivateKey         *string  `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string  `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string  `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int     `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int     `pulumi:"perDialTimeout,optional"`
	HostKey            *string  `pulumi:"hostKey,optional"`
}

// Annotate sets the documented defaults (of both types).
func (c *ConnectionBase) Annotate(a infer.Annotator) {
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.Port, 22.0)
	a.SetDefault(&c.DialErrorLimit, defaultDialErrorLimit)
	a.SetDefault(&c.PerDialTimeout, defaultPerDialTimeout)
}

// Annotate describes the type.
func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
}

// Annotate describes the type.
func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a proxy.")
}

const (
	defaultDialErrorLimit = 10
	defaultPerDialTimeout = 15 // seconds; 0 means no limit per dial
	sshAgentSocketEnv     = "SSH_AUTH_SOCK"
)

type endpoint struct {
	user, host                        string
	password, privateKey, keyPassword *string
	agentSocket, hostKey              *string
	port, dialLimit, perDial          int
}

func (c ConnectionBase) endpoint() endpoint {
	return endpoint{
		user: str(c.User, "root"), host: c.Host, password: c.Password, privateKey: c.PrivateKey,
		keyPassword: c.PrivateKeyPassword, agentSocket: c.AgentSocketPath, hostKey: c.HostKey,
		port: num(c.Port, 22), dialLimit: integer(c.DialErrorLimit, defaultDialErrorLimit),
		perDial: integer(c.PerDialTimeout, defaultPerDialTimeout),
	}
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

// config builds the client configuration the way upstream does: the private key
// first, then the password (also for keyboard-interactive), then the SSH agent
// from agentSocketPath or, when that is unset, SSH_AUTH_SOCK, even when a key or
// password is given. An agent socket that cannot be reached is an error.
func (e endpoint) config() (*ssh.ClientConfig, error) {
	cfg := &ssh.ClientConfig{
		User:            e.user,
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), //nolint:gosec // upstream ignores host keys unless hostKey is set
		Timeout:         time.Duration(e.perDial) * time.Second,
	}
	if e.privateKey != nil {
		var signer ssh.Signer
		var err error
		if e.keyPassword != nil {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(*e.privateKey), []byte(*e.keyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(*e.privateKey))
		}
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeys(signer))
	}
	if e.password != nil {
		pw := *e.password
		cfg.Auth = append(cfg.Auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := e.agentSocket
	if sock == nil {
		if env := os.Getenv(sshAgentSocketEnv); env != "" {
			sock = &env
		}
	}
	if sock != nil {
		conn, err := net.Dial("unix", *sock)
		if err != nil {
			return nil, err
		}
		cfg.Auth = append(cfg.Auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
	}
	if e.hostKey != nil {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(*e.hostKey))
		if err != nil {
			return nil, fmt.Errorf("failed to parse host key: %w", err)
		}
		cfg.HostKeyCallback = ssh.FixedHostKey(key)
		cfg.HostKeyAlgorithms = hostKeyAlgorithms(key)
	}
	return cfg, nil
}

// hostKeyAlgorithms offers only the signature algorithms of the pinned key's
// type, so a server with several host keys presents the pinned one. An RSA key
// can sign with SHA-2 or SHA-1; OpenSSH 8.8+ refuses ssh-rsa (SHA-1) by default.
func hostKeyAlgorithms(key ssh.PublicKey) []string {
	if key.Type() == ssh.KeyAlgoRSA {
		return []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA}
	}
	return []string{key.Type()}
}

// dial opens an SSH client, through the proxy when one is set, retrying each
// step as upstream does ("Dial", or "Dial proxy", "Dial from proxy", "Dial").
// Closing the returned client also closes the proxy's client.
func (c Connection) dial(ctx context.Context) (*ssh.Client, error) {
	target := c.endpoint()
	cfg, err := target.config()
	if err != nil {
		return nil, err
	}
	if c.Proxy == nil {
		return dialWithRetry(ctx, "Dial", target.dialLimit, func() (*ssh.Client, error) {
			return ssh.Dial("tcp", target.addr(), cfg)
		})
	}
	jump := c.Proxy.endpoint()
	jcfg, err := jump.config()
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	proxy, err := dialWithRetry(ctx, "Dial proxy", jump.dialLimit, func() (*ssh.Client, error) {
		return ssh.Dial("tcp", jump.addr(), jcfg)
	})
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	client, err := c.dialThrough(ctx, proxy, target, cfg)
	if err != nil {
		proxy.Close()
		return nil, fmt.Errorf("proxy: %w", err)
	}
	go func() {
		_ = client.Wait()
		proxy.Close()
	}()
	return client, nil
}

// dialThrough opens the target's SSH connection over a channel of the proxy.
// A failed handshake uses up its channel, so a retry opens a new one (upstream
// retries the handshake on the used channel, whose later attempts then fail
// with EOF instead of the real cause).
func (c Connection) dialThrough(ctx context.Context, proxy *ssh.Client, target endpoint, cfg *ssh.ClientConfig) (*ssh.Client, error) {
	open := func() (net.Conn, error) { return proxy.Dial("tcp", target.addr()) }
	conn, err := dialWithRetry(ctx, "Dial from proxy", target.dialLimit, open)
	if err != nil {
		return nil, err
	}
	return dialWithRetry(ctx, "Dial", target.dialLimit, func() (*ssh.Client, error) {
		if conn == nil {
			if conn, err = open(); err != nil {
				return nil, err
			}
		}
		cc, chans, reqs, err := ssh.NewClientConn(conn, target.addr(), cfg)
		if err != nil {
			conn.Close()
			conn = nil
			return nil, err
		}
		return ssh.NewClient(cc, chans, reqs), nil
	})
}

func str(s *string, def string) string {
	if s == nil || *s == "" {
		return def
	}
	return *s
}

func num(f *float64, def int) int {
	if f == nil {
		return def
	}
	return int(*f)
}

func integer(i *int, def int) int {
	if i == nil {
		return def
	}
	return *i
}
