package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// recordSleeps records each backoff delay (and still waits it when real is true).
func recordSleeps(t *testing.T, real bool) *[]time.Duration {
	t.Helper()
	var got []time.Duration
	prev := sleep
	sleep = func(ctx context.Context, d time.Duration) error {
		got = append(got, d)
		if real {
			return prev(ctx, d)
		}
		return nil
	}
	t.Cleanup(func() { sleep = prev })
	return &got
}

func retryMessages(what string, n int, limit string) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s %d/%s failed: retrying", what, i, limit))
	}
	return out
}

func TestDialWithRetryBackoffMessagesAndCount(t *testing.T) {
	logs := captureLogs(t)
	delays := recordSleeps(t, false)
	boom := errors.New("boom")
	attempts := 0
	_, err := dialWithRetry(context.Background(), "Dial", 10, func() (int, error) { attempts++; return 0, boom })

	if !errors.Is(err, boom) || err.Error() != "after 10 failed attempts: boom" {
		t.Fatalf("error = %v", err)
	}
	if attempts != 11 {
		t.Errorf("attempts = %d, want dialErrorLimit+1 = 11", attempts)
	}
	// 0.1 s × 1.5ⁿ capped at 5 s, and no wait after the last attempt.
	want := []time.Duration{
		100 * time.Millisecond, 150 * time.Millisecond, 225 * time.Millisecond,
		337500 * time.Microsecond, 506250 * time.Microsecond, 759375 * time.Microsecond,
		1139062500, 1708593750, 2562890625, 3844335937,
	}
	if !reflect.DeepEqual(*delays, want) {
		t.Errorf("delays = %v, want %v", *delays, want)
	}
	if got := logs.status(); !reflect.DeepEqual(got, retryMessages("Dial", 10, "10")) {
		t.Errorf("status messages = %q", got)
	}
}

func TestDialWithRetryCapsAtFiveSeconds(t *testing.T) {
	captureLogs(t)
	delays := recordSleeps(t, false)
	_, _ = dialWithRetry(context.Background(), "Dial", 13, func() (int, error) { return 0, errors.New("x") })
	if got := (*delays)[10:]; !reflect.DeepEqual(got, []time.Duration{5 * time.Second, 5 * time.Second, 5 * time.Second}) {
		t.Errorf("delays after the tenth = %v", got)
	}
}

func TestDialWithRetryZeroLimitTriesOnce(t *testing.T) {
	logs := captureLogs(t)
	delays := recordSleeps(t, false)
	attempts := 0
	_, err := dialWithRetry(context.Background(), "Dial", 0, func() (int, error) { attempts++; return 0, errors.New("no") })
	if attempts != 1 || len(*delays) != 0 || len(logs.status()) != 0 {
		t.Errorf("attempts %d, delays %v, messages %q", attempts, *delays, logs.status())
	}
	if err == nil || err.Error() != "after 0 failed attempts: no" {
		t.Errorf("error = %v", err)
	}
}

func TestDialWithRetryUnlimitedUntilSuccess(t *testing.T) {
	logs := captureLogs(t)
	recordSleeps(t, false)
	attempts := 0
	got, err := dialWithRetry(context.Background(), "Dial proxy", -1, func() (string, error) {
		attempts++
		if attempts == 13 {
			return "client", nil
		}
		return "", errors.New("not yet")
	})
	if err != nil || got != "client" {
		t.Fatalf("got %q, %v", got, err)
	}
	if msgs := logs.status(); !reflect.DeepEqual(msgs, retryMessages("Dial proxy", 12, "inf")) {
		t.Errorf("status messages = %q", msgs)
	}
}

func TestDialWithRetryStopsWhenCancelled(t *testing.T) {
	captureLogs(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	attempts := 0
	start := time.Now()
	_, err := dialWithRetry(ctx, "Dial", -1, func() (int, error) { attempts++; return 0, errors.New("x") })
	if !errors.Is(err, context.DeadlineExceeded) || attempts != 1 {
		t.Errorf("err %v after %d attempts", err, attempts)
	}
	if time.Since(start) > time.Second {
		t.Errorf("took %s", time.Since(start))
	}
}

func closedPort(t *testing.T) float64 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return float64(port)
}

// Slipway's own setting (dialErrorLimit 4) against a closed port: five
// attempts, four waits of 0.1-0.34 s (0.81 s in all), then upstream's message.
func TestDialClosedPort(t *testing.T) {
	logs := captureLogs(t)
	delays := recordSleeps(t, true)
	_, key := newKey(t)
	port := closedPort(t)
	conn := Connection{ConnectionBase: ConnectionBase{Host: "127.0.0.1", Port: &port, PrivateKey: &key, DialErrorLimit: ptr(4)}}
	start := time.Now()
	_, err := conn.dial(context.Background())
	elapsed := time.Since(start)

	want := fmt.Sprintf("after 4 failed attempts: dial tcp 127.0.0.1:%d: connect: connection refused", int(port))
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	if got := logs.status(); !reflect.DeepEqual(got, retryMessages("Dial", 4, "4")) {
		t.Errorf("status messages = %q", got)
	}
	wantDelays := []time.Duration{100 * time.Millisecond, 150 * time.Millisecond, 225 * time.Millisecond, 337500 * time.Microsecond}
	if !reflect.DeepEqual(*delays, wantDelays) {
		t.Errorf("delays = %v", *delays)
	}
	if elapsed < 812*time.Millisecond || elapsed > 5*time.Second {
		t.Errorf("took %s, want about 0.81 s", elapsed)
	}
}

// A key the server does not accept is retried like any other failure, as
// upstream's dialWithRetry does: dialErrorLimit+1 authentication attempts.
func TestDialWrongKeyIsRetriedAsUpstream(t *testing.T) {
	logs := captureLogs(t)
	recordSleeps(t, false)
	good, _ := newKey(t)
	_, wrong := newKey(t)
	srv := startServer(t, good.PublicKey())
	conn := srv.connection(wrong)
	conn.DialErrorLimit = ptr(2)
	_, err := conn.dial(context.Background())
	if err == nil || !strings.HasPrefix(err.Error(), "after 2 failed attempts: ssh: handshake failed: ssh: unable to authenticate") {
		t.Fatalf("error = %v", err)
	}
	if _, _, tries := srv.received(); tries != 3 {
		t.Errorf("the server saw %d key offers, want 3 (one per attempt)", tries)
	}
	if got := logs.status(); !reflect.DeepEqual(got, retryMessages("Dial", 2, "2")) {
		t.Errorf("status messages = %q", got)
	}
}

func TestDialLocalSSHDWrongKey(t *testing.T) {
	captureLogs(t)
	recordSleeps(t, false)
	sshd := requireSSHD(t)
	_, stranger := newKey(t)
	conn := sshd.connection()
	conn.PrivateKey = &stranger
	conn.DialErrorLimit = ptr(1)
	_, err := conn.dial(context.Background())
	want := "after 1 failed attempts: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain"
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v\nwant %s", err, want)
	}
}

func TestDialLocalSSHDPinnedHostKey(t *testing.T) {
	sshd := requireSSHD(t)
	conn := sshd.connection()
	conn.HostKey = &sshd.hostKey
	client, err := conn.dial(context.Background())
	if err != nil {
		t.Fatalf("pinned to the real host key: %v", err)
	}
	client.Close()

	other, _ := newKey(t)
	otherKey := authorizedKey(other)
	conn.HostKey = &otherKey
	_, err = conn.dial(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ssh: host key mismatch") {
		t.Fatalf("pinned to another key: %v", err)
	}
}

// A server with an ECDSA and an Ed25519 host key: the client offers only the
// pinned key's algorithm, so the server presents that key (x/crypto's default
// order would pick ECDSA and fail the pin).
func TestHostKeyAlgorithmsFollowThePinnedKey(t *testing.T) {
	client, clientKey := newKey(t)
	ed, _ := newKey(t)
	ecdsaSigner := newECDSAKey(t)
	srv := startServer(t, client.PublicKey(), ecdsaSigner, ed)
	conn := srv.connection(clientKey)
	pinned := authorizedKey(ed)
	conn.HostKey = &pinned
	c, err := conn.dial(context.Background())
	if err != nil {
		t.Fatalf("dial pinned to the server's ed25519 key: %v", err)
	}
	c.Close()

	cfg, err := conn.endpoint().config()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.HostKeyAlgorithms, []string{ssh.KeyAlgoED25519}) {
		t.Errorf("HostKeyAlgorithms = %v", cfg.HostKeyAlgorithms)
	}
	rsaKey := rsaPublicKey(t)
	if got := hostKeyAlgorithms(rsaKey); !reflect.DeepEqual(got, []string{"rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"}) {
		t.Errorf("for an RSA key: %v", got)
	}
}

// SSH_AUTH_SOCK is consulted even when a private key is given, as upstream:
// with no key the agent's key logs in; with a key, an unreachable agent socket
// fails the connection. (x/crypto tries one "publickey" method only, so with
// a key that fails, the agent's keys are not offered, upstream too.)
func TestAgentFromSSHAuthSock(t *testing.T) {
	sshd := requireSSHD(t)
	parsed, err := ssh.ParseRawPrivateKey([]byte(sshd.privateKey))
	if err != nil {
		t.Fatal(err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: parsed}); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(t.TempDir(), "agent.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _ = agent.ServeAgent(keyring, c); c.Close() }()
		}
	}()
	t.Setenv("SSH_AUTH_SOCK", sock)
	conn := sshd.connection()
	conn.PrivateKey = nil
	client, err := conn.dial(context.Background())
	if err != nil {
		t.Fatalf("dial with only the agent from SSH_AUTH_SOCK: %v", err)
	}
	client.Close()

	conn = sshd.connection()
	client, err = conn.dial(context.Background())
	if err != nil {
		t.Fatalf("dial with a key and an agent: %v", err)
	}
	client.Close()

	gone := filepath.Join(t.TempDir(), "gone.sock")
	t.Setenv("SSH_AUTH_SOCK", gone)
	want := "dial unix " + gone + ": connect: no such file or directory"
	if _, err := conn.dial(context.Background()); err == nil || err.Error() != want {
		t.Errorf("a key and an unreachable SSH_AUTH_SOCK: %v", err)
	}
}

// Through a bastion: the target's client works, and closing it also closes
// the bastion's connection.
func TestBastionClosedWithTheClient(t *testing.T) {
	sshd := requireSSHD(t)
	t.Setenv("SSH_AUTH_SOCK", "")
	bastionKey, bastionPEM := newKey(t)
	bastion := startServer(t, bastionKey.PublicKey())
	conn := sshd.connection()
	bc := bastion.connection(bastionPEM)
	conn.Proxy = &ProxyConnection{ConnectionBase: ConnectionBase{Host: bc.Host, Port: bc.Port, PrivateKey: bc.PrivateKey, DialErrorLimit: ptr(0)}}
	client, err := conn.dial(context.Background())
	if err != nil {
		t.Fatalf("dial through the bastion: %v", err)
	}
	session, err := client.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	out, err := session.Output("echo through")
	if err != nil || string(out) != "through\n" {
		t.Fatalf("command through the bastion: %q, %v", out, err)
	}
	client.Close()
	bastion.waitAllClosed(t, 3*time.Second)
}

func TestBastionRefusedNamesTheProxy(t *testing.T) {
	captureLogs(t)
	recordSleeps(t, false)
	sshd := requireSSHD(t)
	port := closedPort(t)
	conn := sshd.connection()
	conn.Proxy = &ProxyConnection{ConnectionBase: ConnectionBase{Host: "127.0.0.1", Port: &port, PrivateKey: &sshd.privateKey, DialErrorLimit: ptr(1)}}
	_, err := conn.dial(context.Background())
	want := fmt.Sprintf("proxy: after 1 failed attempts: dial tcp 127.0.0.1:%d: connect: connection refused", int(port))
	if err == nil || err.Error() != want {
		t.Fatalf("error = %v", err)
	}
}
