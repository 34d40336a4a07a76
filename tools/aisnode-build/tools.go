//go:build tools

package tools

import (
	_ "github.com/NVIDIA/aistore/cmd/aisloader"
	_ "github.com/NVIDIA/aistore/cmd/aisnode"
	_ "github.com/NVIDIA/aistore/cmd/authn"
)
