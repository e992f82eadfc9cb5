package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 4, 0, 0, 0, time.UTC)

func TestBurstThenRefusedWithTheWaitForOneToken(t *testing.T) {
	b := newBuckets(1, 3, 10) // one a second, three at once
	for i := 0; i < 3; i++ {
		if ok, _ := b.take("a", t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := b.take("a", t0)
	if ok || wait != time.Second {
		t.Fatalf("fourth request: ok=%v wait=%v, want refused with 1s", ok, wait)
	}
	// Half a token back after 500 ms: still refused, and told the other half.
	ok, wait = b.take("a", t0.Add(500*time.Millisecond))
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("after 500ms: ok=%v wait=%v, want refused with 500ms", ok, wait)
	}
	if ok, _ := b.take("a", t0.Add(time.Second)); !ok {
		t.Fatal("after a second one token is back, refused")
	}
}

func TestAddressesAreCountedApart(t *testing.T) {
	b := newBuckets(1, 1, 10)
	if ok, _ := b.take("a", t0); !ok {
		t.Fatal("a refused")
	}
	if ok, _ := b.take("a", t0); ok {
		t.Fatal("a's second request passed")
	}
	if ok, _ := b.take("b", t0); !ok {
		t.Fatal("b refused because of a")
	}
}

func TestRefusalsDoNotSpendTokens(t *testing.T) {
	// A client hammering while refused is not pushed further back: the wait only shrinks with time.
	b := newBuckets(1, 1, 10)
	b.take("a", t0)
	for i := 0; i < 100; i++ {
		b.take("a", t0.Add(time.Duration(i)*time.Millisecond))
	}
	if ok, _ := b.take("a", t0.Add(time.Second)); !ok {
		t.Fatal("refused one second after the bucket emptied")
	}
}

func TestARefilledBucketIsForgotten(t *testing.T) {
	b := newBuckets(2, 4, 100) // full again 2 s after its last use
	for i := 0; i < 50; i++ {
		b.take(fmt.Sprintf("k%d", i), t0)
	}
	if n := b.len(); n != 50 {
		t.Fatalf("%d keys, want 50", n)
	}
	b.take("late", t0.Add(1999*time.Millisecond))
	if n := b.len(); n != 51 {
		t.Fatalf("%d keys before they refilled, want 51", n)
	}
	b.take("later", t0.Add(2*time.Second))
	if n := b.len(); n != 2 {
		t.Fatalf("%d keys once the first 50 refilled, want 2 (late, later)", n)
	}
}

func TestTheKeyCapDropsTheLeastRecentlyUsed(t *testing.T) {
	b := newBuckets(1.0/60, 1, 3) // a bucket takes a minute to refill: nothing is idle here
	b.take("a", t0)
	b.take("b", t0.Add(time.Millisecond))
	b.take("c", t0.Add(2*time.Millisecond))
	b.take("a", t0.Add(3*time.Millisecond)) // a used again: b is now the oldest
	b.take("d", t0.Add(4*time.Millisecond))
	if n := b.len(); n != 3 {
		t.Fatalf("%d keys, want the cap 3", n)
	}
	if ok, _ := b.take("a", t0.Add(5*time.Millisecond)); ok {
		t.Fatal("a was forgotten, though used more recently than b")
	}
	if ok, _ := b.take("b", t0.Add(6*time.Millisecond)); !ok {
		t.Fatal("b, the least recently used, still has its empty bucket")
	}
}

func TestMemoryStaysBoundedUnderAFloodOfAddresses(t *testing.T) {
	b := newBuckets(1.0/60, 5, 1000)
	for i := 0; i < 100_000; i++ {
		b.take(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), t0.Add(time.Duration(i)*time.Microsecond))
		if b.len() > 1000 {
			t.Fatalf("%d keys after %d addresses, cap 1000", b.len(), i+1)
		}
	}
}

func TestConcurrentRequestsSpendExactlyTheBurst(t *testing.T) {
	b := newBuckets(1.0/3600, 20, 10)
	passed := make(chan bool, 200)
	for i := 0; i < 200; i++ {
		go func() { ok, _ := b.take("a", t0); passed <- ok }()
	}
	n := 0
	for i := 0; i < 200; i++ {
		if <-passed {
			n++
		}
	}
	if n != 20 {
		t.Fatalf("%d of 200 concurrent requests passed, want the burst, 20", n)
	}
}
