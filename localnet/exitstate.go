package localnet

import (
	"fmt"
	"sync"
	"time"
)

// exitState is what a node's process and a node's container share with the
// goroutine that waits for them to end.
type exitState struct {
	done chan struct{} // closed when it has ended

	mu     sync.Mutex
	err    error // the exit status, valid after done
	killed bool  // we sent SIGKILL
}

func newExitState() exitState { return exitState{done: make(chan struct{})} }

// finish records the exit status and wakes those waiting.
func (s *exitState) finish(err error) {
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	close(s.done)
}

func (s *exitState) exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// exitErr is the exit error once it has ended (nil for exit 0).
func (s *exitState) exitErr() error {
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// awaitStop waits up to grace, after a SIGTERM, for the end, and calls kill
// if it does not come. It returns nil for a clean exit or one we caused by
// SIGKILL, and otherwise says how it ended.
func (s *exitState) awaitStop(grace time.Duration, kill func()) error {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-s.done:
	case <-t.C:
		kill()
		return fmt.Errorf("did not stop within %s of SIGTERM; killed", grace)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.killed || s.err == nil {
		return nil
	}
	return fmt.Errorf("exited with %v on SIGTERM", s.err)
}
