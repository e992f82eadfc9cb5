package ratelimit

import (
	"container/list"
	"math"
	"sync"
	"time"
)

// buckets holds one token bucket per key (a client address) for one zone. A bucket starts full with `burst`
// tokens and refills at `rate` tokens a second; a request takes one token or is refused.
//
// Memory is bounded two ways. A bucket that has had time to refill completely behaves exactly like one that does
// not exist, so it is dropped (idle keys cost nothing). And there are never more than maxKeys buckets: a new key
// past the cap drops the least recently used one, which at worst gives that address a full bucket again (an
// attacker able to churn that many addresses already gets a full bucket per address). Keys are kept in
// least-recently-used order, so both evictions look only at the list's tail: no sweeper goroutine, O(1) a request.
type buckets struct {
	rate    float64 // tokens a second
	burst   float64
	maxKeys int
	// fullAfter: a bucket untouched this long is full whatever it held.
	fullAfter time.Duration

	mu    sync.Mutex
	items map[string]*list.Element
	lru   *list.List // front: most recently used
}

type bucket struct {
	key    string
	tokens float64
	last   time.Time
}

func newBuckets(rate, burst float64, maxKeys int) *buckets {
	return &buckets{
		rate:      rate,
		burst:     burst,
		maxKeys:   maxKeys,
		fullAfter: time.Duration(math.Ceil(burst / rate * float64(time.Second))),
		items:     make(map[string]*list.Element),
		lru:       list.New(),
	}
}

// take spends one token of key's bucket. When the bucket is empty it answers false and how long until a token is
// back.
func (b *buckets) take(key string, now time.Time) (bool, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.evictIdle(now)
	var bk *bucket
	if el, ok := b.items[key]; ok {
		bk = el.Value.(*bucket)
		b.lru.MoveToFront(el)
		if elapsed := now.Sub(bk.last).Seconds(); elapsed > 0 {
			bk.tokens = math.Min(b.burst, bk.tokens+elapsed*b.rate)
		}
		if now.After(bk.last) {
			bk.last = now
		}
	} else {
		for len(b.items) >= b.maxKeys {
			b.remove(b.lru.Back())
		}
		bk = &bucket{key: key, tokens: b.burst, last: now}
		b.items[key] = b.lru.PushFront(bk)
	}
	if bk.tokens >= 1 {
		bk.tokens--
		return true, 0
	}
	wait := time.Duration(math.Ceil((1 - bk.tokens) / b.rate * float64(time.Second)))
	return false, wait
}

// evictIdle drops, from the tail, every bucket untouched long enough to be full again.
func (b *buckets) evictIdle(now time.Time) {
	for el := b.lru.Back(); el != nil; el = b.lru.Back() {
		if now.Sub(el.Value.(*bucket).last) < b.fullAfter {
			return
		}
		b.remove(el)
	}
}

func (b *buckets) remove(el *list.Element) {
	delete(b.items, el.Value.(*bucket).key)
	b.lru.Remove(el)
}

func (b *buckets) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items)
}
