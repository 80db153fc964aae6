// Package bytetrie is a byte trie of a fixed set of keys, built once and
// walked a byte at a time. It only knows which key ends at a node (by its
// index in the sorted keys it was built from); what a key means is up to
// the caller.
package bytetrie

// Trie is a byte trie. Node 0 is the root; a node's edges are sorted by
// byte, the root's are also a table, and the nodes one and two bytes below
// the root, which most walks pass through, have dense tables too.
// The zero Trie has no keys.
type Trie struct {
	root [256]int32 // child of the root by byte, 0 for none
	// dense holds, for the nodes one and two bytes deep, their children
	// by byte (-1 for none); nil for the others.
	dense []*[256]int32
	nodes []node
	edges []edge
}

type node struct {
	edgeStart, edgeEnd int32
	key                int32 // index of the key ending here, or -1
}

type edge struct {
	b  byte
	to int32
}

// Build makes the trie of keys, which must be sorted and distinct.
// Nodes are numbered in depth-first order, children by byte.
func Build(keys []string) Trie {
	for i := 1; i < len(keys); i++ {
		if keys[i-1] >= keys[i] {
			panic("bytetrie: keys not sorted and distinct")
		}
	}
	t := Trie{nodes: []node{{key: -1}}}
	if len(keys) > 0 {
		t.fill(0, keys, 0, len(keys), 0)
	}
	t.dense = make([]*[256]int32, len(t.nodes))
	for _, e := range t.edgesOf(0) {
		t.root[e.b] = e.to
		t.table(e.to)
		for _, e2 := range t.edgesOf(e.to) {
			t.table(e2.to)
		}
	}
	return t
}

// fill gives node n, whose path is the common prefix of length d of
// keys[lo:hi], its key and its subtree.
func (t *Trie) fill(n int32, keys []string, lo, hi, d int) {
	if len(keys[lo]) == d { // sorted: the key that ends here comes first
		t.nodes[n].key = int32(lo)
		lo++
	}
	// Reserve n's edges, one per distinct next byte, before the subtrees
	// below take theirs, so that they stay contiguous.
	start := len(t.edges)
	for i := lo; i < hi; i = next(keys, i, hi, d) {
		t.edges = append(t.edges, edge{b: keys[i][d]})
	}
	t.nodes[n].edgeStart, t.nodes[n].edgeEnd = int32(start), int32(len(t.edges))
	e := start
	for i := lo; i < hi; e++ {
		j := next(keys, i, hi, d)
		c := int32(len(t.nodes))
		t.nodes = append(t.nodes, node{key: -1})
		t.edges[e].to = c
		t.fill(c, keys, i, j, d+1)
		i = j
	}
}

// next returns the end of the run of keys from i that have the same byte
// at d.
func next(keys []string, i, hi, d int) int {
	j := i + 1
	for j < hi && keys[j][d] == keys[i][d] {
		j++
	}
	return j
}

func (t *Trie) edgesOf(n int32) []edge {
	return t.edges[t.nodes[n].edgeStart:t.nodes[n].edgeEnd]
}

func (t *Trie) table(n int32) {
	tab := new([256]int32)
	for i := range tab {
		tab[i] = -1
	}
	for _, e := range t.edgesOf(n) {
		tab[e.b] = e.to
	}
	t.dense[n] = tab
}

// Starts reports whether a key starts with b.
func (t *Trie) Starts(b byte) bool { return t.root[b] != 0 }

// Child returns the child of node n by byte b, or -1. The root is node 0.
func (t *Trie) Child(n int32, b byte) int32 {
	if n == 0 {
		if c := t.root[b]; c != 0 {
			return c
		}
		return -1
	}
	if tab := t.dense[n]; tab != nil {
		return tab[b]
	}
	es := t.edges[t.nodes[n].edgeStart:t.nodes[n].edgeEnd]
	for i := range es {
		if es[i].b == b {
			return es[i].to
		}
		if es[i].b > b {
			break
		}
	}
	return -1
}

// Key returns the index in the keys given to Build of the key that ends at
// node n, or -1.
func (t *Trie) Key(n int32) int32 { return t.nodes[n].key }
