package catalog

var capacityFamilies []*Family
