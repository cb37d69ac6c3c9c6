package catalog

var (
	headroomFamilies  []*Family
	crashLoopFamilies []*Family
	healthFamilies    []*Family
	capacityFamilies  []*Family
)
