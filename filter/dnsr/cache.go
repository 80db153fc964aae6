package dnsr

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

type cacheKey struct {
	name  string // canonical, lower case, with the final dot
	qtype dnsmessage.Type
}

type cacheEntry struct {
	key     cacheKey
	ans     answer
	expires time.Time
}

// cache keeps answers until their TTL runs out, and at most size of them:
// the least recently used goes first.
type cache struct {
	mu    sync.Mutex
	size  int
	now   func() time.Time
	ll    *list.List // front: most recently used
	items map[cacheKey]*list.Element
}

func newCache(size int, now func() time.Time) *cache {
	return &cache{size: size, now: now, ll: list.New(), items: map[cacheKey]*list.Element{}}
}

func (c *cache) get(k cacheKey) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[k]
	if !ok {
		return answer{}, false
	}
	e := el.Value.(*cacheEntry)
	if !c.now().Before(e.expires) {
		c.ll.Remove(el)
		delete(c.items, k)
		return answer{}, false
	}
	c.ll.MoveToFront(el)
	return e.ans, true
}

func (c *cache) put(k cacheKey, ans answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	exp := c.now().Add(ans.ttl)
	if el, ok := c.items[k]; ok {
		e := el.Value.(*cacheEntry)
		e.ans, e.expires = ans, exp
		c.ll.MoveToFront(el)
		return
	}
	c.items[k] = c.ll.PushFront(&cacheEntry{key: k, ans: ans, expires: exp})
	for c.ll.Len() > c.size {
		last := c.ll.Back()
		c.ll.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

// len is the number of answers kept, expired or not.
func (c *cache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ll.Len()
}
