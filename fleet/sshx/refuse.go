package sshx

import "golang.org/x/crypto/ssh"

// refuseHost answers what the host asks of the client for as long as the
// connection lives, as ssh.NewClient would: no to every global request,
// and no to every channel the host opens (forwarded ports, agent or X11:
// never asked for).
func refuseHost(chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
	for chans != nil || reqs != nil {
		select {
		case nc, ok := <-chans:
			if !ok {
				chans = nil
				continue
			}
			_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type")
		case r, ok := <-reqs:
			if !ok {
				reqs = nil
				continue
			}
			if r.WantReply {
				_ = r.Reply(false, nil)
			}
		}
	}
}
