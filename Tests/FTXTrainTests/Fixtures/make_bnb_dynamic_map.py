# Writes bnb_dynamic_map_f32.txt: bitsandbytes' create_dynamic_map(signed=True, max_exponent_bits=7,
# total_bits=8) (bitsandbytes/functional.py, copied verbatim minus the unsigned branch), as the
# little-endian hex of each f32 value. Needs torch only: python make_bnb_dynamic_map.py
import struct, torch

def create_dynamic_map(signed=True, max_exponent_bits=7, total_bits=8):
    data = []
    non_sign_bits = total_bits - 1
    additional_items = 2 ** (non_sign_bits - max_exponent_bits) - 1
    assert additional_items == 0
    for i in range(max_exponent_bits):
        fraction_items = int(2 ** (i + non_sign_bits - max_exponent_bits) + 1)
        boundaries = torch.linspace(0.1, 1, fraction_items, dtype=torch.float32)
        means = (boundaries[:-1] + boundaries[1:]) / 2.0
        data += ((10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
        if signed:
            data += (-(10 ** (-(max_exponent_bits - 1) + i)) * means).tolist()
    data.append(0)
    data.append(1.0)
    assert len(data) == 2 ** total_bits
    data.sort()
    return torch.tensor(data, dtype=torch.float32)

with open("bnb_dynamic_map_f32.txt", "w") as f:
    f.write("\n".join(struct.pack("<f", float(x)).hex() for x in create_dynamic_map()))
