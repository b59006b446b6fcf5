// Package remote implements command:remote:Command, CopyToRemote and CopyFile
// over SSH.
package remote

import (
	"context"
	"errors"
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
	User               *string          `pulumi:"user,optional"`
	Password           *string          `pulumi:"password,optional" provider:"secret"`
	Host               string           `pulumi:"host"`
	Port               *float64         `pulumi:"port,optional"`
	PrivateKey         *string          `pulumi:"privateKey,optional" provider:"secret"`
	PrivateKeyPassword *string          `pulumi:"privateKeyPassword,optional" provider:"secret"`
	AgentSocketPath    *string          `pulumi:"agentSocketPath,optional"`
	DialErrorLimit     *int             `pulumi:"dialErrorLimit,optional"`
	PerDialTimeout     *int             `pulumi:"perDialTimeout,optional"`
	HostKey            *string          `pulumi:"hostKey,optional"`
	Proxy              *ProxyConnection `pulumi:"proxy,optional"`
}

// ProxyConnection describes a jump host.
type ProxyConnection struct {
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

// Annotate sets the documented defaults.
func (c *Connection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint.")
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.Port, 22.0)
	a.SetDefault(&c.DialErrorLimit, 10)
	a.SetDefault(&c.PerDialTimeout, 15)
}

// Annotate sets the documented defaults.
func (c *ProxyConnection) Annotate(a infer.Annotator) {
	a.Describe(&c, "Instructions for how to connect to a remote endpoint via a proxy.")
	a.SetDefault(&c.User, "root")
	a.SetDefault(&c.Port, 22.0)
	a.SetDefault(&c.DialErrorLimit, 10)
	a.SetDefault(&c.PerDialTimeout, 15)
}

type endpoint struct {
	user, password, host, privateKey, keyPassword, agentSocket, hostKey string
	port, dialLimit, perDial                                           int
}

func (c Connection) endpoint() endpoint {
	return endpoint{
		user: str(c.User, "root"), password: str(c.Password, ""), host: c.Host,
		privateKey: str(c.PrivateKey, ""), keyPassword: str(c.PrivateKeyPassword, ""),
		agentSocket: str(c.AgentSocketPath, ""), hostKey: str(c.HostKey, ""),
		port: num(c.Port, 22), dialLimit: integer(c.DialErrorLimit, 10), perDial: integer(c.PerDialTimeout, 15),
	}
}

func (c ProxyConnection) endpoint() endpoint {
	return Connection{
		User: c.User, Password: c.Password, Host: c.Host, Port: c.Port, PrivateKey: c.PrivateKey,
		PrivateKeyPassword: c.PrivateKeyPassword, AgentSocketPath: c.AgentSocketPath,
		DialErrorLimit: c.DialErrorLimit, PerDialTimeout: c.PerDialTimeout, HostKey: c.HostKey,
	}.endpoint()
}

func (e endpoint) addr() string { return net.JoinHostPort(e.host, strconv.Itoa(e.port)) }

func (e endpoint) config() (*ssh.ClientConfig, error) {
	var auth []ssh.AuthMethod
	if e.privateKey != "" {
		var signer ssh.Signer
		var err error
		if e.keyPassword != "" {
			signer, err = ssh.ParsePrivateKeyWithPassphrase([]byte(e.privateKey), []byte(e.keyPassword))
		} else {
			signer, err = ssh.ParsePrivateKey([]byte(e.privateKey))
		}
		if err != nil {
			return nil, fmt.Errorf("parsing private key for %s: %w", e.addr(), err)
		}
		auth = append(auth, ssh.PublicKeys(signer))
	}
	if e.password != "" {
		pw := e.password
		auth = append(auth, ssh.Password(pw), ssh.KeyboardInteractive(
			func(_, _ string, questions []string, _ []bool) ([]string, error) {
				answers := make([]string, len(questions))
				for i := range answers {
					answers[i] = pw
				}
				return answers, nil
			}))
	}
	sock := e.agentSocket
	if sock == "" && e.privateKey == "" && e.password == "" {
		sock = os.Getenv("SSH_AUTH_SOCK")
	}
	if sock != "" {
		if conn, err := net.Dial("unix", sock); err == nil {
			auth = append(auth, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
		} else if e.agentSocket != "" {
			return nil, fmt.Errorf("connecting to SSH agent at %s: %w", sock, err)
		}
	}
	hostKeyCallback := ssh.InsecureIgnoreHostKey() //nolint:gosec // upstream behaviour when hostKey is unset
	if e.hostKey != "" {
		key, _, _, _, err := ssh.ParseAuthorizedKey([]byte(e.hostKey))
		if err != nil {
			return nil, fmt.Errorf("parsing hostKey for %s: %w", e.addr(), err)
		}
		hostKeyCallback = ssh.FixedHostKey(key)
	}
	return &ssh.ClientConfig{
		User:            e.user,
		Auth:            auth,
		HostKeyCallback: hostKeyCallback,
		Timeout:         time.Duration(e.perDial) * time.Second,
	}, nil
}

// retry calls dial until it succeeds or the endpoint's dialErrorLimit is
// reached (-1: no limit).
func (e endpoint) retry(ctx context.Context, dial func() (*ssh.Client, error)) (*ssh.Client, error) {
	var lastErr error
	for attempt := 1; e.dialLimit < 0 || attempt <= max(e.dialLimit, 1); attempt++ {
		client, err := dial()
		if err == nil {
			return client, nil
		}
		lastErr = err
		var authErr *ssh.ServerAuthError
		if errors.As(err, &authErr) {
			break // wrong credentials do not get better by retrying
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(min(attempt, 5)) * time.Second):
		}
	}
	return nil, fmt.Errorf("dialing %s@%s: %w", e.user, e.addr(), lastErr)
}

// dial opens an SSH client, through the proxy when one is set.
func (c Connection) dial(ctx context.Context) (*ssh.Client, error) {
	target := c.endpoint()
	cfg, err := target.config()
	if err != nil {
		return nil, err
	}
	if c.Proxy == nil {
		return target.retry(ctx, func() (*ssh.Client, error) { return ssh.Dial("tcp", target.addr(), cfg) })
	}
	jump := c.Proxy.endpoint()
	jcfg, err := jump.config()
	if err != nil {
		return nil, err
	}
	proxy, err := jump.retry(ctx, func() (*ssh.Client, error) { return ssh.Dial("tcp", jump.addr(), jcfg) })
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	client, err := target.retry(ctx, func() (*ssh.Client, error) {
		conn, err := proxy.Dial("tcp", target.addr())
		if err != nil {
			return nil, err
		}
		cc, chans, reqs, err := ssh.NewClientConn(conn, target.addr(), cfg)
		if err != nil {
			conn.Close()
			return nil, err
		}
		return ssh.NewClient(cc, chans, reqs), nil
	})
	if err != nil {
		proxy.Close()
		return nil, err
	}
	return client, nil
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
