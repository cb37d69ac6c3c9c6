package catalog

var (
	healthFamilies   []*Family
	capacityFamilies []*Family
)
