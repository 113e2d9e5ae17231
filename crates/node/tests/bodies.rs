//! Every parser of an untrusted request body, header or query on arbitrary and mutated input:
//! none panics (the `http_bodies` fuzz target runs the same entry for longer).

use sinew_node::api::fuzz_request_bodies;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn request_parsers_never_panic_on_arbitrary_or_mutated_input() {
    let seeds: Vec<Vec<u8>> = vec![
        br#"{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":5,"stream":true,"stream_options":{"include_usage":true},"seed":-1,"temperature":1.5,"n":1}"#.to_vec(),
        br#"{"model":"m","prompt":["a"],"max_completion_tokens":4294967296}"#.to_vec(),
        br#"{"text":"hello","min_len":0,"max_count":18446744073709551615,"tokenizer":"gpt2"}"#.to_vec(),
        br#"{"tx":{"chain_id":"c","signer":"00","nonce":0,"max_fee":"1","payload":{"module":"staking","type":"transfer","to":"00","amount":"1"}},"signature":"00"}"#.to_vec(),
        b"status=open&kind=x&claimant=zz&after=00ff&limit=999999999999".to_vec(),
        b"Bearer sk-\xff\xfe".to_vec(),
    ];
    let mut rng = Rng(0x5157_4e45_5742_4f44);
    for round in 0..20_000 {
        let mut data = if round % 2 == 0 {
            seeds[round / 2 % seeds.len()].clone()
        } else {
            (0..rng.next() % 300).map(|_| rng.next() as u8).collect()
        };
        for _ in 0..rng.next() % 4 {
            if data.is_empty() {
                break;
            }
            let at = rng.next() as usize % data.len();
            match rng.next() % 3 {
                0 => data[at] = rng.next() as u8,
                1 => {
                    data.remove(at);
                }
                _ => {
                    let tokens = b"{}[]\",:0-e\\\x00";
                    data.insert(at, tokens[rng.next() as usize % tokens.len()])
                }
            }
        }
        fuzz_request_bodies(&data);
    }
}
