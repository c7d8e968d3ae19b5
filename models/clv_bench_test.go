package models

import "testing"

// clvBenchModels are the CDNOW fits (weeks) of the continuous-time models.
func clvBenchModels() map[string]FittedPurchases {
	bg, _ := NewFittedBGNBD(0.243, 4.414, 0.793, 2.426)
	mbg, _ := NewFittedMBGNBD(0.525, 6.183, 0.891, 1.614)
	pn, _ := NewFittedParetoNBD(0.553, 10.578, 0.606, 11.669)
	return map[string]FittedPurchases{"bgnbd": bg, "mbgnbd": mbg, "paretonbd": pn}
}

// BenchmarkCLV measures the discounted expected purchases of every CDNOW
// customer (every tenth) over a 520-week horizon at 10% a year (issue 9:
// 50 s for 200k customers), per customer: "closed" is
// DiscountedExpectedPurchases as the models compute it, "simpson" the
// generic quadrature it replaced.
func BenchmarkCLV(b *testing.B) {
	all := readCDNOWSummary(b)
	d := &Data{}
	for i := 0; i < all.Len(); i += 10 {
		d.Frequency = append(d.Frequency, all.Frequency[i])
		d.Recency = append(d.Recency, all.Recency[i])
		d.T = append(d.T, all.T[i])
	}
	o := CLVOptions{Horizon: 520, DiscountRate: PerUnitDiscountRate(0.1, 7), Margin: 1}
	models := clvBenchModels()
	for _, name := range []string{"bgnbd", "mbgnbd", "paretonbd"} {
		m := models[name]
		for _, path := range []string{"closed", "simpson"} {
			b.Run(name+"/"+path, func(b *testing.B) {
				sum := 0.0
				for b.Loop() {
					for i := 0; i < d.Len(); i++ {
						c := d.Customer(i)
						if path == "closed" {
							sum += DiscountedExpectedPurchases(m, c, o)
						} else {
							sum += discountedBySimpson(m, c, o)
						}
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*d.Len()), "ns/customer")
				if !(sum > 0) {
					b.Fatal(sum)
				}
			})
		}
	}
}
