// FTXTensor module — placeholder until its issue lands.
public enum FTXTensorModule { public static let name = "FTXTensor" }
