package fleet

import (
	"reflect"
	"testing"
)

// The resource table is whole: every [thresholds] metric has its entry,
// each entry reads its value one way (host-wide or per mount) and its
// thresholds are that metric's.
func TestResources_Whole(t *testing.T) {
	var th Thresholds
	var lim Limits
	tv := reflect.ValueOf(&th).Elem()
	forecasts := 0
	for i := 0; i < tv.NumField(); i++ {
		tag := tv.Type().Field(i).Tag.Get("toml")
		if tv.Field(i).Type() == reflect.TypeOf(FillLevel{}) {
			forecasts++ // disk_full: the forecast's levels, not a metric
			continue
		}
		r := ResourceNamed(tag)
		switch {
		case r == nil:
			t.Errorf("[thresholds] %s has no Resource", tag)
		case r.Level(&th) != tv.Field(i).Addr().Interface():
			t.Errorf("%s: Level is not [thresholds] %s", r.Name, tag)
		case reflect.ValueOf(r.Limit(&lim)).Pointer() != reflect.ValueOf(&lim).Elem().FieldByName(tv.Type().Field(i).Name).Addr().Pointer():
			t.Errorf("%s: Limit is not Limits.%s", r.Name, tv.Type().Field(i).Name)
		case (r.Value == nil) == (r.Mount == nil):
			t.Errorf("%s: reads its value both ways or neither", r.Name)
		}
	}
	if len(Resources) != tv.NumField()-forecasts {
		t.Errorf("%d resources for %d [thresholds] metrics", len(Resources), tv.NumField()-forecasts)
	}
}
