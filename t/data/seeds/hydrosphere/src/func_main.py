def tokenize(input_text):
    return {"output_text": input_text.split()}
