package catalog

var (
	crashLoopFamilies []*Family
	healthFamilies    []*Family
	capacityFamilies  []*Family
)
