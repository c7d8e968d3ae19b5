package datasets

import "github.com/clv-dev/clv/internal/hugepages"

// adviseHugePages asks for transparent huge pages for a large slice that
// was just made and not yet touched (hugepages.Advise): a customer table
// or a summary of millions of customers is touched page by page in a
// random order, and with 2 MiB pages it costs one page fault where 4 KiB
// pages cost 512, and far fewer TLB misses.
func adviseHugePages[T any](s []T) { hugepages.Advise(s) }
