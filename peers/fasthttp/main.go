// fasthttp-peer: the handler behind fasthttp's published prefork figures
// (time.Sleep, then a short body), runnable in the three ways prefork-bench
// compares with its own servers: one process, prefork with the listener
// shared by the children (fasthttp's default), prefork with SO_REUSEPORT.
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/prefork"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:8080", "address to listen on (prefork modes need a real port: the children bind it again)")
	mode := flag.String("mode", "single", "single, prefork or prefork-reuseport")
	delay := flag.Duration("delay", 100*time.Millisecond, "time each request waits before its response")
	// fasthttp's prefork re-executes this binary with -prefork-child added;
	// its package defines that flag itself.
	flag.Parse()

	handler := func(ctx *fasthttp.RequestCtx) {
		if *delay > 0 {
			time.Sleep(*delay)
		}
		ctx.SetContentType("text/plain")
		ctx.WriteString("Hello, World!")
	}
	server := &fasthttp.Server{Handler: handler, Name: "fasthttp"}

	var err error
	switch *mode {
	case "single":
		err = server.ListenAndServe(*listen)
	case "prefork", "prefork-reuseport":
		p := prefork.New(server)
		p.Reuseport = *mode == "prefork-reuseport"
		err = p.ListenAndServe(*listen)
	default:
		fmt.Fprintf(os.Stderr, "fasthttp-peer: -mode: expected single, prefork or prefork-reuseport, got %q\n", *mode)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "fasthttp-peer: %v\n", err)
		os.Exit(1)
	}
}
