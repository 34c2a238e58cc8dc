package faults

import (
	"bufio"
	"net"
	"strconv"
	"testing"
	"time"
)

// A link copies both ways; cut, it holds the bytes (nothing arrives, the
// connection stays open); healed, the held bytes arrive.
func TestLinkHoldsBytesWhileCut(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { // an echo server, line by line
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if _, err := c.Write([]byte(line)); err != nil {
						return
					}
				}
			}()
		}
	}()
	l, err := newLink(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	c, err := net.Dial("tcp", l.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	roundTrip := func(msg string, within time.Duration) (string, error) {
		if _, err := c.Write([]byte(msg + "\n")); err != nil {
			return "", err
		}
		_ = c.SetReadDeadline(time.Now().Add(within))
		return r.ReadString('\n')
	}
	if got, err := roundTrip("one", 10*time.Second); err != nil || got != "one\n" {
		t.Fatalf("through the open link: %q, %v", got, err)
	}
	l.setCut(true)
	if got, err := roundTrip("two", 300*time.Millisecond); err == nil {
		t.Fatalf("through the cut link: %q arrived", got)
	}
	l.setCut(false)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if got, err := r.ReadString('\n'); err != nil || got != "two\n" {
		t.Fatalf("after the heal: %q, %v; want the held line", got, err)
	}
}

// An impaired link delivers every byte, in order, later by at least the
// delay, and some chunks later still (held as lost segments).
func TestLinkDelaysAndHoldsBackInOrder(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 100)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				close(got)
				return
			}
			got <- line
		}
	}()
	l, err := newLink(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.close()
	// A fixed seed: the draws are the same every run, so no run can meet
	// the rare chunk lost eight times over (a 51 s hold) and time out.
	l.mu.Lock()
	l.seed = 20
	l.mu.Unlock()
	const delay = 100 * time.Millisecond
	l.setImpairment(Impairment{Delay: delay, Loss: 0.5, RTO: MinRTO})
	c, err := net.Dial("tcp", l.addr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var slowest time.Duration
	for i := 0; i < 20; i++ {
		sent := time.Now()
		want := strconv.Itoa(i) + "\n"
		if _, err := c.Write([]byte(want)); err != nil {
			t.Fatal(err)
		}
		select {
		case line := <-got:
			took := time.Since(sent)
			if line != want {
				t.Fatalf("line %d: got %q, want %q (out of order)", i, line, want)
			}
			if took < delay {
				t.Fatalf("line %d arrived after %s, before the delay %s", i, took, delay)
			}
			slowest = max(slowest, took)
		case <-time.After(30 * time.Second):
			t.Fatalf("line %d never arrived", i)
		}
	}
	// With half the chunks lost, one of 20 waits a retransmission timeout
	// (with this seed, as with all but a 2^-20 share of seeds).
	if slowest < delay+MinRTO {
		t.Errorf("slowest line took %s; want one held back at least %s", slowest, delay+MinRTO)
	}
	l.setImpairment(Impairment{})
	if _, err := c.Write([]byte("last\n")); err != nil {
		t.Fatal(err)
	}
	if line := <-got; line != "last\n" {
		t.Errorf("restored link: %q", line)
	}
}
