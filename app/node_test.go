package app

import (
	"testing"
)

func TestNodeProducesBlocks(t *testing.T) {
	act := newActors(t)
	home := initTestHome(t, act)
	n := startNode(t, home)
	waitHeight(t, n, 3)
}
