package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

type item struct{ Key, ID int64 }

func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var keys []int64
		if err := json.Unmarshal(sc.Bytes(), &keys); err != nil {
			panic(err)
		}
		items := make([]item, len(keys))
		for i, k := range keys {
			items[i] = item{k, int64(i)}
		}
		slices.SortFunc(items, func(a, b item) int { return cmp.Compare(a.Key, b.Key) })
		ids := make([]int64, len(items))
		for i, it := range items {
			ids[i] = it.ID
		}
		b, _ := json.Marshal(ids)
		fmt.Fprintln(w, string(b))
	}
}
