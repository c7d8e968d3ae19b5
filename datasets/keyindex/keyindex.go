// Package keyindex numbers distinct keys of three float64s (Index) or of
// one (Values) in order of first appearance. Keys are compared by their
// bits (−0 and +0 stay apart: callers that want them together add 0
// first). It is the one index behind the table of distinct histories
// (datasets.NewPatterns) and the fits' indexes of frequencies and times
// (models): an open-addressing hash table with linear probing, kept at
// most half full, several times faster than a map on a million customers.
package keyindex

import "math"

// Index numbers distinct keys of three float64s; the zero value is not
// usable (see New).
type Index struct {
	t table[[3]uint64]
}

// New returns an empty index sized for about hint keys.
func New(hint int) *Index {
	ix := &Index{}
	ix.t.init(hint, hash3)
	return ix
}

// hash3 mixes the bits of a key (multiplicative mixing and the splitmix64
// finalizer: whole numbers and day fractions, whose low bits are 0, spread
// over the table).
func hash3(k [3]uint64) uint64 {
	return mix(k[0]*0x9E3779B97F4A7C15 ^ (k[1]+0x632BE59BD9B4E019)*0xC2B2AE3D27D4EB4F ^ (k[2]+0x85EBCA77C2B2AE63)*0x165667B19E3779F9)
}

// hash1 mixes the bits of one value.
func hash1(k uint64) uint64 { return mix(k * 0x9E3779B97F4A7C15) }

// mix is the splitmix64 finalizer.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xBF58476D1CE4E5B9
	h ^= h >> 27
	h *= 0x94D049BB133111EB
	return h ^ h>>31
}

// Of returns the number of the key (a, b, c) and whether it was seen
// before (a new key gets the next number, Len()−1).
func (ix *Index) Of(a, b, c float64) (int32, bool) {
	k := [3]uint64{math.Float64bits(a), math.Float64bits(b), math.Float64bits(c)}
	return ix.t.of(k, hash3(k), hash3)
}

// Len returns the number of distinct keys.
func (ix *Index) Len() int { return len(ix.t.keys) }

// Key returns key number j.
func (ix *Index) Key(j int) (a, b, c float64) {
	k := ix.t.keys[j]
	return math.Float64frombits(k[0]), math.Float64frombits(k[1]), math.Float64frombits(k[2])
}

// Values numbers distinct float64s; the zero value is not usable (see
// NewValues).
type Values struct {
	t table[uint64]
}

// NewValues returns an empty index of values sized for about hint of
// them.
func NewValues(hint int) *Values {
	v := &Values{}
	v.t.init(hint, hash1)
	return v
}

// Of returns the number of the value x and whether it was seen before (a
// new value gets the next number, Len()−1).
func (v *Values) Of(x float64) (int32, bool) {
	k := math.Float64bits(x)
	return v.t.of(k, hash1(k), hash1)
}

// Len returns the number of distinct values.
func (v *Values) Len() int { return len(v.t.keys) }

// Value returns value number j.
func (v *Values) Value(j int) float64 { return math.Float64frombits(v.t.keys[j]) }

// table is the open-addressing hash table of Index and Values: the keys
// in order of first appearance and, for each slot, −1 (empty) or the
// number of the key hashed there.
type table[K comparable] struct {
	keys  []K
	slots []int32
	mask  uint64
}

func (t *table[K]) init(hint int, hash func(K) uint64) {
	size := 16
	for size < 2*hint {
		size *= 2
	}
	t.keys = make([]K, 0, hint)
	t.resize(size, hash)
}

func (t *table[K]) resize(size int, hash func(K) uint64) {
	t.slots = make([]int32, size)
	for i := range t.slots {
		t.slots[i] = -1
	}
	t.mask = uint64(size - 1)
	for j, k := range t.keys {
		h := hash(k) & t.mask
		for t.slots[h] >= 0 {
			h = (h + 1) & t.mask
		}
		t.slots[h] = int32(j)
	}
}

// of returns the number of the key k of hash value h, adding it when it
// is new (hash rehashes the keys when the table grows).
func (t *table[K]) of(k K, h uint64, hash func(K) uint64) (int32, bool) {
	h &= t.mask
	for {
		j := t.slots[h]
		if j < 0 {
			break
		}
		if t.keys[j] == k {
			return j, true
		}
		h = (h + 1) & t.mask
	}
	j := int32(len(t.keys))
	t.keys = append(t.keys, k)
	t.slots[h] = j
	if 2*len(t.keys) > len(t.slots) {
		t.resize(2*len(t.slots), hash)
	}
	return j, false
}
